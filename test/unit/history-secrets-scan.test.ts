import { describe, expect, it } from 'vitest';
import { scanHistory, secretNeedles } from '../../harness/history-secrets.js';

describe('history secret scan', () => {
  it('scans a payload whose metadata values are not bytes (it used to throw) and still finds a secret there', async () => {
    const secret = 'hunter2-hunter2-hunter2';
    const history = {
      events: [
        {
          eventId: 1,
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
          input: {
            payloads: [
              {
                metadata: { encoding: new TextEncoder().encode('json/plain'), note: `token ${secret}`, n: 3 },
                data: new TextEncoder().encode('{}'),
              },
            ],
          },
        },
      ],
    };
    const report = await scanHistory(history, secretNeedles('TOKEN', secret), {
      workflowId: 'w',
      runId: 'r',
    });
    expect(report.payloads).toBe(1);
    expect(report.findings.map((f) => f.needle)).toContain('TOKEN');
  });
});

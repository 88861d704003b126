import { describe, expect, it } from 'vitest';
import { scanHistory, secretNeedles } from '../../harness/history-secrets.js';

describe('history secret scan', () => {
  it('scans payloads whose metadata values or data are not bytes (it used to throw) and still finds a secret there', async () => {
    const secret = 'hunter2-hunter2-hunter2';
    const bytes = (s: string) => new TextEncoder().encode(s);
    const history = {
      events: [
        {
          eventId: 1,
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
          input: {
            payloads: [
              {
                metadata: { encoding: bytes('json/plain'), note: `token ${secret}`, n: 3 },
                data: bytes('{}'),
              },
              { metadata: { encoding: bytes('json/plain') }, data: bytes('{}'), extra: { data: 'x' } },
            ],
          },
        },
      ],
    };
    const report = await scanHistory(history, secretNeedles('TOKEN', secret), {
      workflowId: 'w',
      runId: 'r',
    });
    expect(report.payloads).toBe(2);
    expect(report.findings.map((f) => f.needle)).toContain('TOKEN');
  });
});

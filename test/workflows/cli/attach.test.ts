import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import { describe, expect, it, vi } from 'vitest';
import { type EndDoc, rollouts, stack, useCliStack } from './cli-stack.js';

useCliStack('cli-attach');

describe('rollouts attach', () => {
  it('attaches a domain to an application: --wait --json exit 0, status shows it, bad input exit 2', async () => {
    await stack.emulator.control.seedDomains([{ name: 'cli-attach-one' }]);
    await stack.emulator.control.setDurations({ applicationCreatingMs: 0 });
    const app = await stack.aws.opensearch.send(new CreateApplicationCommand({ name: 'cli-console' }));
    const arn = 'arn:aws:es:us-east-1:123456789012:domain/cli-attach-one';
    const run = await rollouts(
      'attach',
      '--application-id',
      app.id!,
      '--data-source-arn',
      arn,
      '--workspace-name',
      'Ops',
      '--workspace-type',
      'observability',
      '--poll-interval',
      '0.2',
      '--wait',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json<{
      workflowId: string;
      ok: boolean;
      result: { status: string; application: { id: string }; workspace: unknown };
    }>();
    expect(doc.workflowId).toBe(`data-source-attachment/${app.id}/${arn}`);
    expect(doc).toMatchObject({
      ok: true,
      result: {
        status: 'ATTACHED',
        application: { id: app.id },
        workspace: { kind: 'new', name: 'Ops', workspaceType: 'OBSERVABILITY' },
      },
    });
    const attachments = (await stack.emulator.control.state()).opensearch.attachments;
    expect(attachments.map((a) => [a.dataSourceArn, a.status])).toEqual([[arn, 'ATTACHED']]);

    const status = await rollouts('status', doc.workflowId);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/execution COMPLETED/);
    expect(status.stdout).toMatch(/attachment \S+: ATTACHED/);
    // Pause and resume belong to dictionary rollouts: refused with the reason, exit 2.
    const pause = await rollouts('pause', doc.workflowId, '--json');
    expect(pause.code).toBe(2);
    expect(pause.json<{ error: { type: string; message: string } }>().error).toMatchObject({
      type: 'NotSupported',
      message: expect.stringMatching(/'pause' does not apply .* dataSourceAttachment run/),
    });

    const bad = await rollouts(
      'attach',
      '--application-id',
      'abc123',
      '--application-name',
      'cli-console',
      '--data-source-arn',
      'arn:aws:s3:::bucket',
      '--json',
    );
    expect(bad.code).toBe(2);
    const issues = bad.json<{ error: { issues: Array<{ field: string; flag?: string }> } }>().error.issues;
    expect(issues.map((i) => [i.field, i.flag])).toEqual(
      expect.arrayContaining([
        ['dataSourceArn', '--data-source-arn'],
        ['applicationId', '--application-id'],
      ]),
    );
    const half = await rollouts('attach', '--workspace-name', 'x', '--data-source-arn', arn);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--workspace-name and --workspace-type go together/);
  });

  it('cancel --wait on an attachment still PENDING: the run ends Cancelled, reported as RolloutCancelled, exit 0', async () => {
    await stack.emulator.control.seedDomains([{ name: 'cli-attach-wait' }]);
    await stack.emulator.control.setDurations({ applicationCreatingMs: 3_600_000 }); // CREATING: PENDING
    const app = await stack.aws.opensearch.send(new CreateApplicationCommand({ name: 'cli-pending' }));
    const arn = 'arn:aws:es:us-east-1:123456789012:domain/cli-attach-wait';
    const started = await rollouts(
      'attach',
      '--application-id',
      app.id!,
      '--data-source-arn',
      arn,
      '--poll-interval',
      '0.2',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const { workflowId } = started.json<{ workflowId: string }>();
    await vi.waitFor(
      async () => {
        const attachments = (await stack.emulator.control.state()).opensearch.attachments;
        expect(attachments.length === 1 && attachments[0]!.status === 'PENDING').toBeTruthy();
      },
      { timeout: 20_000, interval: 200 },
    );
    const cancelled = await rollouts('cancel', workflowId, '--wait', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.json<EndDoc>()).toMatchObject({ ok: false, failure: { type: 'RolloutCancelled' } });
    const described = await stack.client.workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('CANCELLED');
  });
});

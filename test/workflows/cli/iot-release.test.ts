import { describe, expect, it, vi } from 'vitest';
import { iotReleaseArgs } from '../../helpers/iot-release-args.js';
import { rollouts, stack, useCliStack } from './cli-stack.js';

useCliStack('cli-iot-release');

const PACKAGE = 'cli-edge-agent';
const STABLE_42 = { channel: 'stable', build: '42' };

describe('rollouts iot-release', () => {
  it('publish after approval: approve --by, watch to the end (changed); a re-run is unchanged; other content exit 1', async () => {
    const started = await rollouts(
      ...iotReleaseArgs(PACKAGE, '1.0.0', {
        attributes: STABLE_42,
        flags: ['--publish', 'after-approval', '--json'],
      }),
    );
    expect(started.code, started.stderr).toBe(0);
    const { workflowId } = started.json<{ workflowId: string }>();
    expect(workflowId).toBe('iot-package-release/cli-edge-agent/1.0.0');
    const waiting = await vi.waitFor(
      async () => {
        const doc = (await rollouts('status', workflowId, '--json')).json<{
          progress?: { awaitingApproval: boolean; versionStatus?: string };
        }>();
        expect(doc.progress?.awaitingApproval).toBeTruthy();
        return doc.progress!;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(waiting.versionStatus).toBe('DRAFT');
    const approved = await rollouts('approve', workflowId, '--by', 'alice', '--json');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.json()).toMatchObject({ workflowId, approval: { approvedBy: 'alice' } });
    const watched = await rollouts('watch', workflowId, '--interval', '0.2');
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/: changed/);
    expect(watched.stdout).toMatch(/version 1\.0\.0: PUBLISHED, package default 1\.0\.0/);

    const again = await rollouts(
      ...iotReleaseArgs(PACKAGE, '1.0.0', { attributes: STABLE_42, flags: ['--wait', '--json'] }),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({
      ok: true,
      outcome: 'unchanged',
      result: { versionStatus: 'PUBLISHED' },
    });

    const conflict = await rollouts(
      ...iotReleaseArgs(PACKAGE, '1.0.0', { attributes: { channel: 'beta' }, flags: ['--wait', '--json'] }),
    );
    expect(conflict.code).toBe(1);
    expect(conflict.json()).toMatchObject({ ok: false, failure: { type: 'IotVersionConflict' } });

    const bad = await rollouts(
      ...iotReleaseArgs(PACKAGE, '2.0.0', {
        flags: ['--publish', 'no', '--make-default', '--attribute', 'no-equals-sign'],
      }),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/attributes \(--attribute\): --attribute must be key=value/);
    const draft = await rollouts(
      ...iotReleaseArgs(PACKAGE, '2.0.0', { flags: ['--publish', 'no', '--make-default', '--json'] }),
    );
    expect(draft.code).toBe(2);
    expect(draft.json<{ error: { issues: Array<{ field: string; flag?: string }> } }>().error.issues).toEqual(
      [expect.objectContaining({ field: 'makeDefault', flag: '--make-default' })],
    );
    const versions = (await stack.emulator.control.state()).iot;
    expect(JSON.stringify(versions)).not.toContain('2.0.0');
  });
});

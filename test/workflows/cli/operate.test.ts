import { describe, expect, it, vi } from 'vitest';
import type { DictionaryRolloutProgress } from '../../../src/model/dictionary-rollout.js';
import { startCli } from './run-cli.js';
import { type EndDoc, env, fast, rollouts, seeded, stack, useCliStack } from './cli-stack.js';

useCliStack('cli-operate');

describe('operating a rollout: status, pause, resume, approve, watch, list, cancel', () => {
  it('approval gate: status shows it, pause/resume/approve answer, watch streams progress to the end', async () => {
    const domains = await seeded('cli-gate', 3);
    const started = await rollouts(
      'dictionary',
      '--package-name',
      'cli-gate',
      '--text',
      'x, y\n',
      '--domains',
      domains.join(','),
      '--approval-between-waves',
      '--canary',
      '1',
      ...fast,
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const { workflowId } = started.json<{ workflowId: string; started: boolean }>();
    expect(workflowId).toBe('dictionary-rollout/cli-gate');

    const waiting = await vi.waitFor(
      async () => {
        const s = await rollouts('status', workflowId, '--json');
        const doc = s.json<{ progress?: DictionaryRolloutProgress; executionStatus: string }>();
        expect(doc.progress?.awaitingApproval).toBeTruthy();
        return { code: s.code, doc };
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(waiting.code).toBe(0);
    expect(waiting.doc.executionStatus).toBe('RUNNING');
    expect(waiting.doc.progress!.domains.find((d) => d.domain === domains[0])?.state).toBe('current');

    expect((await rollouts('pause', workflowId, '--json')).json()).toEqual({ workflowId, paused: true });
    expect((await rollouts('resume', workflowId)).stdout).toMatch(/resumed/);
    const listed = await vi.waitFor(
      async () => {
        const l = await rollouts(
          'list',
          '--target',
          'cli-gate',
          '--status',
          'waiting-for-approval',
          '--json',
        );
        const rows = l.json<Array<{ workflowId: string; rolloutStatus: string; kind: string }>>();
        expect(rows.length > 0).toBeTruthy();
        return rows;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(listed[0]).toMatchObject({
      workflowId,
      kind: 'dictionaryRollout',
      rolloutStatus: 'waiting-for-approval',
    });

    const watch = startCli(['watch', workflowId, '--json', '--interval', '0.2'], env);
    await watch.waitFor(/"type":"progress"/);
    const approved = await rollouts('approve', workflowId, '--json');
    expect(approved.code, approved.stderr).toBe(0);
    // Waves are numbered from 1 and the canary (wave 1) never waits: the approval is for wave 2.
    expect(approved.json()).toEqual({ workflowId, approvedWave: 2 });
    const watched = await watch.ended;
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.lines<{ type: string; progress?: DictionaryRolloutProgress; outcome?: string }>();
    expect(lines.some((l) => l.type === 'progress' && l.progress!.awaitingApproval)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'result', outcome: 'succeeded', ok: true });

    const done = await rollouts('status', workflowId);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/execution COMPLETED/);
    expect(done.stdout).toMatch(new RegExp(`${domains[2]}\\s+current @ v1`));
  });

  it('approve on a rollout without approval gates is refused (exit 2); unknown ids are exit 2', async () => {
    const domains = await seeded('cli-refuse', 1);
    // The association takes an hour of emulator time: the run is surely still open below, until the
    // test moves the emulator's clock on.
    await stack.emulator.control.configureDomain(domains[0]!, { associationMs: 60 * 60 * 1000 });
    const started = await rollouts(
      'dictionary',
      '--package-name',
      'cli-refuse',
      '--text',
      'p, q\n',
      '--domains',
      domains[0]!,
      ...fast,
    );
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/Started dictionary rollout dictionary-rollout\/cli-refuse/);
    const refused = await rollouts('approve', 'dictionary-rollout/cli-refuse');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/does not wait for approval/);
    const unknown = await rollouts('status', 'dictionary-rollout/no-such-thing', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.json<{ error: { message: string } }>().error.message).toMatch(
      /no rollout with workflow id/,
    );
    // While it runs, a second start for the package is refused: exit 1, the message says why.
    const again = await rollouts(
      'dictionary',
      '--package-name',
      'cli-refuse',
      '--text',
      'p\n',
      '--domains',
      domains[0]!,
      ...fast,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already running/);
    await stack.emulator.control.setClock({ advanceMs: 2 * 60 * 60 * 1000 });
    const watched = await rollouts('watch', 'dictionary-rollout/cli-refuse', '--interval', '0.2');
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/dictionary-rollout\/cli-refuse: succeeded/);
  });

  it('cancel --wait: in-flight domains finish, the run ends cancelled with its result (exit 0)', async () => {
    const domains = await seeded('cli-cancel', 3);
    const started = await rollouts(
      'dictionary',
      '--package-name',
      'cli-cancel',
      '--text',
      'c, d\n',
      '--domains',
      domains.join(','),
      '--approval-between-waves',
      ...fast,
      '--json',
    );
    const { workflowId } = started.json<{ workflowId: string }>();
    await vi.waitFor(
      async () => {
        const doc = (await rollouts('status', workflowId, '--json')).json<{
          progress?: DictionaryRolloutProgress;
        }>();
        expect(doc.progress?.awaitingApproval).toBeTruthy();
      },
      { timeout: 20_000, interval: 200 },
    );
    const cancelled = await rollouts('cancel', workflowId, '--wait', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const doc = cancelled.json<EndDoc>();
    expect(doc).toMatchObject({ ok: false, outcome: 'cancelled', failure: { type: 'RolloutCancelled' } });
    expect(doc.result!.counts).toMatchObject({ current: 1, notStarted: 2 });
    const status = await rollouts('status', workflowId, '--json');
    expect(status.code).toBe(1);
    expect(status.json<{ result: { outcome: string } }>().result.outcome).toBe('cancelled');
    const again = await rollouts('cancel', workflowId);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already ended/);
  });
});

describe('rollouts list', () => {
  it('filters by kind and target (table for people, rows with --json); an unknown kind is exit 2', async () => {
    const domains = await seeded('cli-list', 1);
    const done = await rollouts(
      'dictionary',
      '--package-name',
      'cli-list',
      '--text',
      'l, m\n',
      '--domains',
      domains[0]!,
      ...fast,
      '--wait',
    );
    expect(done.code, done.stderr).toBe(0);
    const rows = await vi.waitFor(
      async () => {
        const l = await rollouts(
          'list',
          '--kind',
          'dictionary',
          '--target',
          'cli-list',
          '--status',
          'succeeded',
          '--json',
        );
        const r = l.json<Array<{ workflowId: string; rolloutStatus: string; executionStatus: string }>>();
        expect(r.length > 0).toBeTruthy();
        return r;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(rows).toEqual([
      expect.objectContaining({
        workflowId: 'dictionary-rollout/cli-list',
        rolloutStatus: 'succeeded',
        executionStatus: 'COMPLETED',
        targetVersion: 'v1',
        domains: 1,
      }),
    ]);
    const human = await rollouts('list', '--target', 'cli-list', '--limit', '5');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^WORKFLOW ID\s+KIND\s+TARGET\s+STATUS/);
    expect(human.stdout).toMatch(
      /dictionary-rollout\/cli-list\s+dictionaryRollout\s+cli-list\s+succeeded\s+COMPLETED\s+v1/,
    );
    const none = await rollouts('list', '--target', 'no-such-package-anywhere');
    expect(none.stdout.trim()).toBe('no rollouts match');
    const bad = await rollouts('list', '--kind', 'bogus', '--json');
    expect(bad.code).toBe(2);
    expect(bad.json<{ error: { message: string } }>().error.message).toMatch(
      /kind: must be one of dictionary/,
    );
  });
});

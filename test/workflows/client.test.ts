import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  approveRollout,
  cancelRollout,
  createDictionaryRefreshSchedule,
  deleteSchedule,
  describeDictionaryRefreshSchedule,
  describeRollout,
  InvalidInputError,
  listDictionaryRefreshSchedules,
  listRollouts,
  OperationNotSupportedError,
  pauseRolloutById,
  pauseSchedule,
  resumeRolloutById,
  rolloutListQuery,
  rolloutProgressOf,
  ScheduleExistsError,
  awaitRunEnd,
  startDictionaryRollout,
  startIotPackageRelease,
  startPackageRemoval,
  triggerSchedule,
  unpauseSchedule,
  waitForResult,
  type ApproveOutcome,
} from '../../src/client/index.js';
import type {
  DictionaryRolloutInput,
  DictionaryRolloutProgress,
  DictionaryRolloutResult,
} from '../../src/model/dictionary-rollout.js';
import type {
  IotPackageReleaseProgress,
  IotPackageReleaseResult,
} from '../../src/model/iot-package-release.js';
import type { PackageRemovalResult } from '../../src/model/package-removal.js';
import { freshDictionaryEmulator, domainNames, rolloutInput, STAGING_BUCKET } from '../helpers/dictionary.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack('client');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack);
});

async function seeded(prefix: string, n: number): Promise<string[]> {
  const domains = domainNames(prefix, n);
  await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
  return domains;
}

const opts = () => ({ taskQueue: stack.taskQueue });

describe('client: start, progress, approve, pause, resume, wait, list', () => {
  it('bad input throws InvalidInputError naming each field, before anything is started', async () => {
    await stack.emulator.control.clearCalls(); // the staging bucket made in beforeEach
    const bad = {
      packageName: 'Bad_Name',
      source: { kind: 'inline', text: 'a' },
      staging: { bucket: STAGING_BUCKET },
      domains: ['ok-domain', 'ok-domain'],
      policy: { maxConcurrency: 0 },
    } as unknown as DictionaryRolloutInput;
    const err = await startDictionaryRollout(stack.client, bad, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).issues.map((i) => i.field)).toEqual(
      expect.arrayContaining(['packageName', 'domains[1]', 'policy.maxConcurrency']),
    );
    // Nothing started: no workflow under the id a valid start would have used, no AWS call.
    await expect(
      stack.client.workflow.getHandle('dictionary-rollout/Bad_Name').describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(
      startIotPackageRelease(
        stack.client,
        { packageName: 'p', versionName: 'v', publish: 'no', makeDefault: true },
        opts(),
      ),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      startPackageRemoval(stack.client, { packageName: 'x', packageId: 'F1' } as never, opts()),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(await stack.emulator.control.calls()).toEqual([]);
  });

  it('a gated rollout: start returns its id; progress, pause, resume and approve by id; the result; list and describe', async () => {
    const domains = await seeded('cl-gate', 3);
    const { workflowId } = await startDictionaryRollout(
      stack.client,
      rolloutInput('cl-gate', domains, 'k, l\n', {
        policy: { approvalBetweenWaves: true, waves: { strategy: 'sizes', canary: 1, sizes: [2] } },
      }),
      opts(),
    );
    expect(workflowId).toBe('dictionary-rollout/cl-gate');

    const waiting = await vi.waitFor(
      async () => {
        const p = await rolloutProgressOf<DictionaryRolloutProgress>(stack.client, workflowId);
        expect(p.awaitingApproval, 'waiting for approval').toBeTruthy();
        return p;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(waiting.phase).toBe('waiting-for-approval');
    expect(waiting.domains.filter((d) => d.state === 'current').map((d) => d.domain)).toEqual([domains[0]]);

    await pauseRolloutById(stack.client, workflowId);
    expect((await rolloutProgressOf<DictionaryRolloutProgress>(stack.client, workflowId)).paused).toBe(true);
    // Approving while paused records the approval; nothing moves until resumed.
    const approved: ApproveOutcome = await approveRollout(stack.client, workflowId);
    expect(approved).toEqual({ workflowType: 'dictionaryRollout', approvedWave: 2 });
    const paused = await rolloutProgressOf<DictionaryRolloutProgress>(stack.client, workflowId);
    expect(
      paused.domains.filter((d) => d.state !== 'current' && d.domain !== domains[0]).map((d) => d.state),
    ).toEqual(['pending', 'pending']);
    await resumeRolloutById(stack.client, workflowId);

    const result = await waitForResult<DictionaryRolloutResult>(stack.client, workflowId);
    expect(result).toMatchObject({ outcome: 'succeeded', targetVersion: 'v1', counts: { current: 3 } });

    const listed = await vi.waitFor(
      async () => {
        const rows = await listRollouts(stack.client, {
          kind: 'dictionary',
          target: 'cl-gate',
          status: 'succeeded',
        });
        expect(rows.length > 0, 'listed as succeeded').toBeTruthy();
        return rows;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(listed).toEqual([
      expect.objectContaining({
        workflowId,
        kind: 'dictionaryRollout',
        executionStatus: 'COMPLETED',
        rolloutStatus: 'succeeded',
        targetVersion: 'v1',
        domains: 3,
        taskQueue: stack.taskQueue,
      }),
    ]);
    const byDomain = await listRollouts(stack.client, { domain: domains[2]!, limit: 5 });
    expect(byDomain.map((r) => r.workflowId)).toContain(workflowId);
    const described = await describeRollout(stack.client, workflowId);
    expect(described).toMatchObject({ executionStatus: 'COMPLETED', result: { outcome: 'succeeded' } });
    expect(described.staticSummary).toMatch(/dictionary cl-gate -> 3 domain\(s\)/);
  });

  it('cancel: the run ends cancelled, and waitForResult / awaitRunEnd still return where each domain stands', async () => {
    const domains = await seeded('cl-cancel', 3);
    const { workflowId, handle } = await startDictionaryRollout(
      stack.client,
      rolloutInput('cl-cancel', domains, 'c\n', { policy: { approvalBetweenWaves: true } }),
      opts(),
    );
    await vi.waitFor(
      async () => {
        const p = await rolloutProgressOf<DictionaryRolloutProgress>(stack.client, workflowId);
        expect(p.awaitingApproval, 'waiting for approval').toBeTruthy();
      },
      { timeout: 30_000, interval: 100 },
    );
    await cancelRollout(stack.client, workflowId);
    const result = await waitForResult<DictionaryRolloutResult>(stack.client, workflowId);
    expect(result.outcome).toBe('cancelled');
    expect(result.counts).toMatchObject({ current: 1, notStarted: 2 });
    const settled = await awaitRunEnd<DictionaryRolloutResult>(handle);
    expect(settled).toMatchObject({
      ok: false,
      failure: { type: 'RolloutCancelled' },
      result: { outcome: 'cancelled' },
    });
    const described = await describeRollout(stack.client, workflowId);
    expect(described.failure?.type).toBe('RolloutCancelled');
  });

  it('approve / pause on a workflow type without them throw OperationNotSupportedError and send nothing', async () => {
    const { workflowId } = await startPackageRemoval(
      stack.client,
      { packageName: 'cl-never-published' },
      opts(),
    );
    expect(workflowId).toBe('package-removal/cl-never-published');
    const removal = await waitForResult<PackageRemovalResult>(stack.client, workflowId);
    expect(removal.outcome).toBe('already-removed');
    const historyBefore = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events?.length;
    await expect(approveRollout(stack.client, workflowId)).rejects.toBeInstanceOf(OperationNotSupportedError);
    await expect(pauseRolloutById(stack.client, workflowId)).rejects.toThrow(
      /'pause' does not apply to package-removal\/cl-never-published \(a packageRemoval run\)/,
    );
    await expect(resumeRolloutById(stack.client, workflowId)).rejects.toBeInstanceOf(
      OperationNotSupportedError,
    );
    expect((await stack.client.workflow.getHandle(workflowId).fetchHistory()).events?.length).toBe(
      historyBefore,
    );
  });

  it('approveRollout releases an IoT version waiting for approval (publish after-approval)', async () => {
    const { workflowId } = await startIotPackageRelease(
      stack.client,
      { packageName: 'cl-agent', versionName: '3.1.0', publish: 'after-approval', attributes: { ring: 'a' } },
      opts(),
    );
    await vi.waitFor(
      async () => {
        const p = await rolloutProgressOf<IotPackageReleaseProgress>(stack.client, workflowId);
        expect(p.awaitingApproval, 'IoT release waiting for approval').toBeTruthy();
      },
      { timeout: 30_000, interval: 100 },
    );
    const approved = await approveRollout(stack.client, workflowId, { approvedBy: 'release-bot' });
    expect(approved).toMatchObject({
      workflowType: 'iotPackageRelease',
      approval: { approvedBy: 'release-bot' },
    });
    const result = await waitForResult<IotPackageReleaseResult>(stack.client, workflowId);
    expect(result).toMatchObject({
      outcome: 'changed',
      versionStatus: 'PUBLISHED',
      defaultVersionName: '3.1.0',
    });
  });

  it('list filters are validated and quoted', async () => {
    expect(() => rolloutListQuery({ kind: 'nope' })).toThrow(InvalidInputError);
    expect(rolloutListQuery({ kind: 'iot-release', target: 'a"b' })).toBe(
      'WorkflowType = "iotPackageRelease" AND RolloutTarget = "a\\"b"',
    );
    await expect(listRollouts(stack.client, { limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('client: scheduled dictionary refresh from a URL', () => {
  let server: Server;
  let body = 'alpha, first\nbeta, second\n';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('create (overlap SKIP), trigger: published; trigger again: unchanged with no AWS mutation; new content: updated', async () => {
    const domains = await seeded('cl-refresh', 2);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/synonyms.txt`;
    const input: DictionaryRolloutInput = {
      ...rolloutInput('cl-refresh', domains, ''),
      source: { kind: 'url', url },
    };
    // Refused before anything is created: inline source, an interval under a minute, no spec.
    await expect(
      createDictionaryRefreshSchedule(stack.client, {
        input: rolloutInput('cl-refresh', domains, 'x'),
        every: '1h',
      }),
    ).rejects.toThrow(/re-reads its source/);
    await expect(createDictionaryRefreshSchedule(stack.client, { input, every: '10s' })).rejects.toThrow(
      /at least 1m/,
    );
    await expect(createDictionaryRefreshSchedule(stack.client, { input })).rejects.toBeInstanceOf(
      InvalidInputError,
    );

    const scheduleId = `dictionary-refresh/cl-refresh-${stack.taskQueue.slice(-8)}`;
    const { handle } = await createDictionaryRefreshSchedule(stack.client, {
      input,
      every: '6h',
      cron: '0 3 * * *',
      scheduleId,
      taskQueue: stack.taskQueue,
    });
    try {
      await expect(
        createDictionaryRefreshSchedule(stack.client, {
          input,
          every: '6h',
          scheduleId,
          taskQueue: stack.taskQueue,
        }),
      ).rejects.toBeInstanceOf(ScheduleExistsError);
      const described = await describeDictionaryRefreshSchedule(stack.client, scheduleId);
      expect(described).toMatchObject({
        scheduleId,
        overlap: 'SKIP',
        paused: false,
        every: '6h',
        cron: ['0 3 * * *'],
        taskQueue: stack.taskQueue,
        source: { kind: 'url', url },
        domains,
        runsTaken: 0,
      });
      expect(described.nextRunTimes.length).toBeGreaterThan(0);
      const listed = await vi.waitFor(
        async () => {
          const found = (await listDictionaryRefreshSchedules(stack.client)).find(
            (s) => s.scheduleId === scheduleId,
          );
          expect(found, 'schedule listed').toBeDefined();
          return found!;
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(listed).toMatchObject({ packageName: 'cl-refresh', paused: false });

      const first = await triggerSchedule(stack.client, scheduleId);
      if (!first.started) throw new Error(`first trigger did not start: ${first.reason}`);
      expect(first.run.workflowId.startsWith(`${scheduleId}-`)).toBe(true);
      const r1 = await waitForResult<DictionaryRolloutResult>(stack.client, first.run.workflowId);
      expect(r1).toMatchObject({ outcome: 'succeeded', packageChange: 'created', targetVersion: 'v1' });

      await stack.emulator.control.clearCalls();
      const second = await triggerSchedule(stack.client, scheduleId);
      if (!second.started) throw new Error(`second trigger did not start: ${second.reason}`);
      const r2 = await waitForResult<DictionaryRolloutResult>(stack.client, second.run.workflowId);
      expect(r2).toMatchObject({ outcome: 'unchanged', packageChange: 'unchanged', counts: { skipped: 2 } });
      expect((await stack.emulator.control.calls()).filter((c) => c.mutating)).toEqual([]);

      body = 'alpha, first\nbeta, second\ngamma, third\n';
      const third = await triggerSchedule(stack.client, scheduleId);
      if (!third.started) throw new Error(`third trigger did not start: ${third.reason}`);
      const r3 = await waitForResult<DictionaryRolloutResult>(stack.client, third.run.workflowId);
      expect(r3).toMatchObject({ outcome: 'succeeded', packageChange: 'updated', targetVersion: 'v2' });

      // Overlap SKIP: a refresh due while the previous one still runs is skipped, not queued.
      body = 'alpha, first\nbeta, second\ngamma, third\ndelta, fourth\n';
      await stack.emulator.control.setDurations({ associationMs: 6_000 });
      const slow = await triggerSchedule(stack.client, scheduleId);
      if (!slow.started) throw new Error(`fourth trigger did not start: ${slow.reason}`);
      const overlapping = await triggerSchedule(stack.client, scheduleId);
      expect(overlapping).toEqual({ started: false, reason: 'skipped-overlap' });
      const r4 = await waitForResult<DictionaryRolloutResult>(stack.client, slow.run.workflowId);
      expect(r4).toMatchObject({ outcome: 'succeeded', targetVersion: 'v3' });
      await stack.emulator.control.setDurations({ associationMs: 300 });

      await pauseSchedule(stack.client, scheduleId, 'freeze');
      expect(await describeDictionaryRefreshSchedule(stack.client, scheduleId)).toMatchObject({
        paused: true,
        note: 'freeze',
        runsTaken: 4,
      });
      await unpauseSchedule(stack.client, scheduleId);
      expect((await handle.describe()).state.paused).toBe(false);
    } finally {
      await deleteSchedule(stack.client, scheduleId);
    }
    await expect(describeDictionaryRefreshSchedule(stack.client, scheduleId)).rejects.toThrow(/not found/i);
  });
});

import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  dictionaryRolloutProgress,
  dictionaryRolloutResult,
  startDictionaryRollout,
} from '../../src/client/dictionary-rollout.js';
import { describeRollout } from '../../src/client/index.js';
import { queuedCalls } from '../../src/client/queued-calls.js';
import { runCli } from '../../src/cli/run.js';
import { domainNames, freshDictionaryEmulator, rolloutInput } from '../helpers/dictionary.js';
import { recordHistory } from '../helpers/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { workflowMetadata } from '../helpers/visibility.js';

const EventType = proto.temporal.api.enums.v1.EventType;
/** The emulated AWS limit and the fleet budget under it (ROLLOUTS_AWS_CALLS_PER_SECOND). */
const LIMIT = { rate: 5, burst: 10 };
const BUDGET_PER_SECOND = 3;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack('rate-budget', {
    worker: { maxTaskQueueActivitiesPerSecond: BUDGET_PER_SECOND },
  });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack);
  await stack.emulator.control.setDurations({ associationMs: 1500, dissociationMs: 500 });
  await stack.emulator.control.setRateLimits({ es: LIMIT });
});

const start = (input: Parameters<typeof startDictionaryRollout>[1]) =>
  startDictionaryRollout(stack.client, input, { taskQueue: stack.taskQueue }).then((s) => s.handle);

/** `rollouts status <id>` in this process, against this file's server and task queue. */
async function statusText(workflowId: string) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (t: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await runCli(
    ['status', workflowId],
    {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      ROLLOUTS_TASK_QUEUE: stack.taskQueue,
    },
    { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) },
  );
  return { code, stdout, stderr };
}

const ms = (t: proto.temporal.api.history.v1.IHistoryEvent['eventTime']) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

/** Each activity's type, and when it was scheduled and handed to a worker (its last attempt). */
async function activityTimes(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, { type: string; scheduled: number }>();
  const out: Array<{ type: string; scheduled: number; started: number }> = [];
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      scheduled.set(String(e.eventId), {
        type: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '',
        scheduled: ms(e.eventTime),
      });
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const s = scheduled.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId));
      if (s) out.push({ ...s, started: ms(e.eventTime) });
    }
  }
  return out;
}

describe('the shared AWS call budget (task queue rate) under an emulated AWS limit', () => {
  it('two rollouts at once both complete, no domain failed by throttling, and the call log shows the rate held', async () => {
    await stack.emulator.control.seedDomains(
      [...domainNames('ba', 8), ...domainNames('bb', 8)].map((name) => ({ name })),
    );
    const a = await start(
      rolloutInput('budget-a', domainNames('ba', 8), 'a, b\n', {
        policy: { maxConcurrency: 8, pollIntervalSeconds: 1 },
      }),
    );
    const b = await start(
      rolloutInput('budget-b', domainNames('bb', 8), 'c, d\n', {
        policy: { maxConcurrency: 8, pollIntervalSeconds: 1 },
      }),
    );
    const results = await Promise.all([dictionaryRolloutResult(a), dictionaryRolloutResult(b)]);
    for (const r of results) {
      expect(r.outcome).toBe('succeeded');
      expect(r.counts.failed).toBe(0);
    }
    const calls = await stack.emulator.control.calls({ service: 'es' });
    expect(calls.filter((c) => c.rateLimited)).toEqual([]);
    // The bucket allows at most burst + rate calls in any one second; the log never shows more.
    const times = calls.map((c) => Date.parse(c.realAt));
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(LIMIT.burst + LIMIT.rate);
    expect(calls.filter((c) => c.operation === 'AssociatePackage')).toHaveLength(16);
    // The budget is what held them: associations waited in the task queue (scheduled -> handed
    // out), and over any 5 s the calls stayed within what a token bucket of the budget allows
    // (rate B, burst up to 2 B: the server's limiter hands out about a second's worth at once).
    const queued = [...(await activityTimes(a)), ...(await activityTimes(b))]
      .filter((t) => t.type === 'associatePackage')
      .map((t) => t.started - t.scheduled);
    expect(Math.max(...queued)).toBeGreaterThanOrEqual(1000);
    const fiveSeconds = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 5000).length));
    expect(fiveSeconds).toBeLessThanOrEqual(5 * BUDGET_PER_SECOND + 2 * BUDGET_PER_SECOND);
  });

  it('calls held by the budget show in the client and in `rollouts status`, by activity', async () => {
    const domains = domainNames('held', 24);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const run = await start(
      rolloutInput('budget-held', domains, 'i, j\n', {
        policy: { maxConcurrency: 24, pollIntervalSeconds: 1 },
      }),
    );
    // 24 associations at once, 3 handed out a second: seconds of calls queued.
    let described: Awaited<ReturnType<typeof describeRollout>>;
    for (;;) {
      described = await describeRollout(stack.client, run.workflowId);
      if ((described.queuedCalls?.count ?? 0) >= 6) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(described.queuedCalls!.byActivity.associatePackage).toBeGreaterThanOrEqual(6);
    expect(described.queuedCalls!.longestMs).toBeGreaterThanOrEqual(1000);
    expect((await workflowMetadata(run)).currentDetails).toContain('AWS calls at priority **3**');
    const status = await statusText(run.workflowId);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      /waiting: \d+ AWS call\(s\) queued for the call budget \(or a worker\), longest \d+ s \(associatePackage \d+/,
    );
    expect((await dictionaryRolloutResult(run)).counts.current).toBe(24);
    // Once it ended nothing is queued, and `status` says nothing of waiting.
    expect((await describeRollout(stack.client, run.workflowId)).queuedCalls).toBeUndefined();
    expect((await statusText(run.workflowId)).stdout).not.toMatch(/waiting:/);
  });

  it('a rollback started while another rollout saturates the budget has its calls handed out first', async () => {
    const small = domainNames('rb', 3);
    const big = domainNames('sat', 36);
    await stack.emulator.control.seedDomains([...small, ...big].map((name) => ({ name })));
    // The run to roll back: its first domain moves, then it waits at the approval gate.
    const rolling = await start(
      rolloutInput('budget-rollback', small, 'e, f\n', {
        policy: {
          pollIntervalSeconds: 1,
          failurePolicy: 'rollback',
          approvalBetweenWaves: true,
          waves: { strategy: 'sizes', canary: 1, sizes: [2] },
        },
      }),
    );
    for (;;) {
      const p = await dictionaryRolloutProgress(rolling);
      if (p.awaitingApproval) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // The saturating run: 36 associations at once, 12 s of the budget's calls queued behind.
    const saturating = await start(
      rolloutInput('budget-saturate', big, 'g, h\n', {
        policy: { maxConcurrency: 36, pollIntervalSeconds: 1 },
      }),
    );
    for (;;) {
      const associating = await stack.emulator.control.calls({ operation: 'AssociatePackage' });
      if (associating.some((c) => c.resource?.domainName?.startsWith('sat-'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The run's waiting shows (the watch prints it): cancel once 8 of its calls are held back.
    for (;;) {
      const queued = await queuedCalls(saturating);
      if (queued.count >= 8) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await rolling.cancel();
    expect((await dictionaryRolloutResult(rolling)).outcome).toBe('cancelled');
    expect((await dictionaryRolloutResult(saturating)).counts.current).toBe(36);

    const rollbackCall = (await activityTimes(rolling)).find((t) => t.type === 'dissociatePackage');
    expect(rollbackCall).toBeDefined();
    const other = (await activityTimes(saturating)).filter((t) => t.type === 'associatePackage');
    // Work of the saturating run that was already waiting when the rollback's call was queued...
    const waiting = other.filter(
      (t) => t.scheduled < rollbackCall!.scheduled && t.started > rollbackCall!.scheduled,
    );
    expect(waiting.length).toBeGreaterThanOrEqual(4);
    // ...was handed out after it, but for at most a second's budget already in the worker's hands.
    const overtook = waiting.filter((t) => t.started < rollbackCall!.started);
    expect(overtook.length).toBeLessThanOrEqual(BUDGET_PER_SECOND);
    // Histories of the prioritised path (patch aws-call-priority): a cancel's cleanup, and a plain run.
    await recordHistory(stack.client, rolling.workflowId, 'dictionary-rollout-priority-cancel-cleanup');
    await recordHistory(stack.client, saturating.workflowId, 'dictionary-rollout-priority-36-domains');
  });
});

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { rootCause } from '../lib/errors.js';
import { markdownTable, seconds } from '../lib/format.js';
import { dictionaryText, domainNames, durationsFor, policyFor, type RolloutSpec } from '../lib/rollouts.js';
import { STAGING_BUCKET, STAGING_PREFIX, type WorkerHandle } from '../lib/stack.js';
import {
  activityAttempts,
  timeline,
  type ActivityTimes,
  type TimelineFigures,
} from '../lib/rate-timeline.js';
import { writeFileSync } from 'node:fs';

/**
 * The call only a rollback of a new package makes (its domains had no association before). Its
 * wait, waitForDissociations, is left out: a retried poll's scheduled -> started spans its polls.
 */
const ROLLBACK_ACTIVITIES = new Set(['dissociatePackage']);

interface RunFigures {
  label: string;
  wallMs: number;
  esCalls: number;
  throttled: number;
  failedDomains: number;
  failedRuns: string[];
  /**
   * From the cancel request to the rollback's first call being handed to the worker; includes the
   * graceful part of a cancel (in-flight associations finish first).
   */
  rollbackStartMs?: number;
  /** Longest time a rollback call sat in the task queue (scheduled -> started). */
  rollbackQueuedMaxMs?: number;
  /** The fleet budget (activity tasks per second), if any. */
  budget?: number;
  /** Activity attempts handed to the worker (every service, polls and retries included). */
  tasks: number;
  timeline: TimelineFigures;
}

const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

const ms = (t: proto.temporal.api.history.v1.IHistoryEvent['eventTime']) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

/** When the rollback's calls were scheduled and handed out, from the cancelled run's history. */
async function rollbackTimes(handle: WorkflowHandle): Promise<Array<{ scheduled: number; started: number }>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, number>();
  const out: Array<{ scheduled: number; started: number }> = [];
  for (const e of events) {
    if (
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      ROLLBACK_ACTIVITIES.has(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '')
    )
      scheduled.set(String(e.eventId), ms(e.eventTime));
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const at = scheduled.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId));
      if (at !== undefined) out.push({ scheduled: at, started: ms(e.eventTime) });
    }
  }
  return out;
}

/**
 * Scenario 8: rollouts at AWS's rate limit. The emulator limits the OpenSearch control plane to R
 * requests/s per account and Region (token bucket, burst R); N rollouts of D domains start at once,
 * once on a worker with no budget (every call goes out and throttled ones are retried by the SDK and
 * by Temporal) and once with the fleet budget (ROLLOUTS_AWS_CALLS_PER_SECOND = 0.95 R: the task
 * queue hands out activities at that rate). One of the rollouts (failure policy rollback) is
 * cancelled a third of the way through the bound; its rollback's calls carry priority 1.
 */
export async function rateLimitScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config } = ctx;
  const { rollouts, domains: perRollout, ratePerSecond: R, associationMs } = config.rateLimit;
  // BENCH_BUDGET_SHARE: the budget as a share of R (default 0.95: 0.2 % throttled at load 12, docs/benchmarks.md).
  const share = Number(process.env.BENCH_BUDGET_SHARE || 0.95);
  const budget = Math.round(R * share * 10) / 10;
  const spec: RolloutSpec = {
    domains: perRollout,
    maxConcurrency: 10,
    associationMs,
    pollIntervalSeconds: 1,
  };
  const cancelled = Math.floor(rollouts / 2);

  const runBatch = async (label: string, worker: WorkerHandle, budget?: number): Promise<RunFigures> => {
    const groups = Array.from({ length: rollouts }, (_, r) =>
      domainNames(perRollout, `r${String(r + 1).padStart(2, '0')}`),
    );
    await stack.resetAws({ durations: durationsFor(spec), domains: groups.flat() });
    await stack.control.setRateLimits({ es: { rate: R, burst: R } });
    ctx.log(
      `scenario 8 (${label}): ${rollouts} rollouts of ${perRollout} domains at ${R} OpenSearch requests/s...`,
    );
    const started = performance.now();
    const t0 = Date.now();
    const handles = await Promise.all(
      groups.map(async (domains, r) => {
        const tag = randomUUID().slice(0, 8);
        const { handle } = await startDictionaryRollout(
          stack.client,
          {
            packageName: `limit-${tag}`,
            source: { kind: 'inline', text: dictionaryText(tag) },
            staging: { bucket: STAGING_BUCKET, prefix: STAGING_PREFIX },
            domains,
            policy: { ...policyFor(spec), failurePolicy: r === cancelled ? 'rollback' : 'continue' },
          },
          { taskQueue: worker.taskQueue },
        );
        return handle;
      }),
    );
    // A third of the physical bound in: about 60 calls per rollout (publish, 40 associations, polls).
    const cancelAfterMs = ((rollouts * 60) / R / 3) * 1000;
    let cancelAt = 0;
    const canceller = new Promise<void>((resolve) =>
      setTimeout(() => {
        cancelAt = Date.now();
        handles[cancelled]!.cancel().then(
          () => resolve(),
          () => resolve(),
        );
      }, cancelAfterMs),
    );
    const results = await Promise.allSettled(handles.map((h) => dictionaryRolloutResult(h)));
    await canceller;
    const wallMs = performance.now() - started;
    const calls = await stack.control.calls({ service: 'es' });
    const at = (c: (typeof calls)[number]) => Date.parse(c.realAt) - t0;
    const activityTimes: ActivityTimes[] = [];
    const attempts = await activityAttempts(handles, t0, activityTimes);
    // BENCH_RATE_TIMELINE=<file>: every activity's and call's times, for looking at by hand.
    if (process.env.BENCH_RATE_TIMELINE)
      writeFileSync(
        `${process.env.BENCH_RATE_TIMELINE}-${label.replace(/\W+/g, '-')}.json`,
        JSON.stringify({
          label,
          wallMs,
          activities: activityTimes,
          calls: calls.map((c) => ({ op: c.operation, at: at(c), throttled: !!c.rateLimited })),
        }),
      );
    const failedRuns: string[] = [];
    let failedDomains = 0;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') failedDomains += r.value.counts.failed;
      else if (i !== cancelled) failedRuns.push(rootCause(r.reason));
    });
    const times = await rollbackTimes(handles[cancelled]!);
    const first = times.length > 0 ? Math.min(...times.map((t) => t.started)) : undefined;
    return {
      label,
      wallMs,
      esCalls: calls.length,
      throttled: calls.filter((c) => c.rateLimited).length,
      ...(budget !== undefined ? { budget } : {}),
      tasks: [...attempts.values()].reduce((a, b) => a + b, 0),
      timeline: timeline(calls.map(at), calls.filter((c) => !c.rateLimited).map(at), activityTimes, wallMs),
      failedDomains,
      failedRuns,
      ...(first !== undefined && cancelAt > 0 ? { rollbackStartMs: first - cancelAt } : {}),
      ...(times.length > 0
        ? { rollbackQueuedMaxMs: Math.max(...times.map((t) => t.started - t.scheduled)) }
        : {}),
    };
  };

  const figures: RunFigures[] = [];
  // BENCH_RATE_RUNS=budget: the budget run only (when comparing settings of the budget).
  const variants = [
    ['no budget', undefined],
    [`budget ${budget}/s`, budget],
  ] as const;
  for (const [label, awsCallsPerSecond] of variants.filter(
    ([, b]) => process.env.BENCH_RATE_RUNS !== 'budget' || b !== undefined,
  )) {
    const worker = await stack.startWorker(awsCallsPerSecond ? { awsCallsPerSecond } : {});
    try {
      figures.push(await runBatch(label, worker, awsCallsPerSecond));
    } finally {
      await worker.stop();
    }
  }

  const rows = figures.map((f) => {
    // The work is the calls AWS accepted; a throttled answer is a wasted call, not work.
    const boundMs = ((f.esCalls - f.throttled) / R) * 1000;
    return [
      f.label,
      seconds(f.wallMs),
      f.esCalls,
      seconds(boundMs),
      (f.wallMs / boundMs).toFixed(2),
      `${f.throttled} (${((f.throttled / f.esCalls) * 100).toFixed(1)} %)`,
      f.failedDomains + (f.failedRuns.length > 0 ? ` (+${f.failedRuns.length} runs failed)` : ''),
      f.rollbackStartMs !== undefined ? seconds(f.rollbackStartMs) : 'n/a',
      f.rollbackQueuedMaxMs !== undefined ? seconds(f.rollbackQueuedMaxMs) : 'n/a',
    ];
  });
  // Where the time goes (bench/lib/rate-timeline.ts): wall ÷ bound = (R ÷ B) × (tasks ÷ accepted) × (wall ÷ tasks at B).
  const whereRows = figures.map((f) => {
    const accepted = f.esCalls - f.throttled;
    const atBudgetMs = f.budget ? (f.tasks / f.budget) * 1000 : undefined;
    const t = f.timeline;
    return [
      f.label,
      f.budget ? (R / f.budget).toFixed(3) : 'n/a',
      f.tasks,
      (f.tasks / accepted).toFixed(3),
      atBudgetMs !== undefined ? seconds(atBudgetMs) : 'n/a',
      atBudgetMs !== undefined ? (f.wallMs / atBudgetMs).toFixed(3) : 'n/a',
      seconds(t.firstCallMs),
      seconds(t.afterLastCallMs),
      // Without a budget nothing is held in the queue: those two columns say nothing.
      f.budget ? seconds(t.emptyQueueMs) : 'n/a',
      f.budget ? t.heldRate.toFixed(1) : 'n/a',
      t.busiestSecond,
    ];
  });
  const whereTable = markdownTable(
    [
      'worker',
      'R ÷ B',
      'activity tasks',
      'tasks ÷ accepted calls',
      'bound at B (tasks ÷ B)',
      'wall ÷ bound at B',
      'start → first call',
      'last call → end',
      'no call queued',
      'accepted calls/s while queued',
      'most calls in 1 s',
    ],
    whereRows,
  );
  return {
    id: 8,
    title: 'Rollouts at the AWS rate limit',
    setup:
      `The emulator limits the OpenSearch control plane to R = ${R} requests/s (token bucket, burst ${R}) and answers ` +
      `ThrottlingException (HTTP 400) over it. ${rollouts} dictionary rollouts of ${perRollout} domains start at once ` +
      `(window 10, ${associationMs / 1000} s association, poll every 1 s) on one worker: first with no budget, then with ` +
      `ROLLOUTS_AWS_CALLS_PER_SECOND=${budget} (${share} R: the task queue's server-side activity rate). Rollout ` +
      `${cancelled + 1} (failure policy rollback) is cancelled ${seconds(((rollouts * 60) / R / 3) * 1000)} in; its ` +
      `rollback dissociates the domains it moved, with priority 1 (the others' calls have 3). "Bound" = OpenSearch ` +
      `calls AWS accepted ÷ R, the least time that work can take at the limit. Throttled answers count as calls ` +
      `(share of all calls); each is a retry (by the SDK or by Temporal). "Longest call queued" = the rollback's ` +
      `DissociatePackage calls, scheduled -> handed to the worker.`,
    table:
      markdownTable(
        [
          'worker',
          'wall',
          'OpenSearch calls',
          'bound (accepted ÷ R)',
          'wall ÷ bound',
          'throttled = retries (share of calls)',
          'domains failed',
          'rollback: cancel → first call',
          'rollback: longest call queued',
        ],
        rows,
      ) +
      '\n\nWhere the time goes: wall ÷ bound = (R ÷ B) × (tasks ÷ accepted calls) × (wall ÷ bound at B). ' +
      'Activity tasks = attempts handed to the worker (S3 staging, polls and retries included: the budget counts them all). ' +
      '"No call queued" = time between the first and the last call in which no call (polls aside) waited in the task ' +
      "queue (from the runs' histories: scheduled -> handed out).\n\n" +
      whereTable,
    notes: figures.flatMap((f) => f.failedRuns.map((why) => `${f.label}: a run failed: ${why}`)),
  };
}

/**
 * Whether fairness keys with a per-key rate limit give each place (Region + account) its own AWS
 * call budget on ONE task queue, while priority keys still order the calls within a place
 * (docs/rate-limits.md, "Fleets"). On the dev server with matching.enableFairness:
 * `temporal task-queue config set --fairness-key-rps-limit-default K` (here through the same API).
 * Place A runs two workflows of `calls` no-op activities, place B one, then place A a rollback-like
 * run of 4 calls at priority key 1; the activity worker starts once they are all queued. Prints
 * each place's achieved rate against K and how many of place A's key-3 calls, queued with the
 * key-1 calls, were handed out ahead of them.
 *
 *   npx tsx bench/fairness-probe.ts [perKeyRate=4] [calls=30]
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startDevServer } from '../src/temporal/dev-server.js';

const [perKey = 4, calls = 30] = process.argv.slice(2, 4).map(Number);
const { TaskQueueType } = proto.temporal.api.enums.v1;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // BENCH_PROBE_DYNAMIC_CONFIG: more settings to try (JSON).
  const extra = JSON.parse(process.env.BENCH_PROBE_DYNAMIC_CONFIG || '{}') as Record<string, unknown>;
  const server = await startDevServer({
    headless: true,
    dynamicConfig: { 'matching.enableFairness': true, ...extra },
  });
  const taskQueue = `fairness-${randomUUID().slice(0, 8)}`;
  const started: Array<{ tag: string; at: number }> = [];
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  await client.workflowService.updateTaskQueueConfig({
    namespace: 'default',
    identity: 'fairness-probe',
    taskQueue,
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    updateFairnessKeyRateLimitDefault: {
      rateLimit: { requestsPerSecond: perKey },
      reason: 'per-place AWS call budget',
    },
    // BENCH_PROBE_QUEUE_RPS: a limit for the whole queue as well.
    ...(process.env.BENCH_PROBE_QUEUE_RPS
      ? {
          updateQueueRateLimit: {
            rateLimit: { requestsPerSecond: Number(process.env.BENCH_PROBE_QUEUE_RPS) },
            reason: 'fleet',
          },
        }
      : {}),
  });
  const described = await client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    reportConfig: true,
  });
  console.error(`task queue config: ${JSON.stringify(described.config)}`);
  // Workflows and activities on separate workers: the activity worker starts only once a backlog
  // of calls has formed (as under a budget), so dispatch is from the backlog, not sync matching.
  // BENCH_PROBE_COMBINED=1: one worker for both, as the rollouts' worker is; its activities may
  // then be dispatched eagerly (handed back with the workflow task's completion, past matching)
  // unless BENCH_PROBE_EAGER=0 (maxEagerActivityReservationsPerWorkflowTask).
  const combined = process.env.BENCH_PROBE_COMBINED === '1';
  const eager = Number(process.env.BENCH_PROBE_EAGER ?? 3);
  const workflowWorker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./probe/workflows.ts', import.meta.url)),
    ...(combined
      ? {
          activities: {
            probeCall: async (tag: string) => {
              started.push({ tag, at: Date.now() });
            },
          },
          maxConcurrentActivityTaskExecutions: 100,
          maxEagerActivityReservationsPerWorkflowTask: eager,
        }
      : {}),
  });
  const activityWorker = combined
    ? undefined
    : await Worker.create({
        connection,
        taskQueue,
        activities: {
          probeCall: async (tag: string) => {
            started.push({ tag, at: Date.now() });
          },
        },
        maxConcurrentActivityTaskExecutions: 100,
      });
  const runningWorkflows = workflowWorker.run();
  // BENCH_PROBE_IDLE_WORKER=1: the activity worker polls from the start (tasks sync-matched).
  const idle = process.env.BENCH_PROBE_IDLE_WORKER === '1';
  let runningActivities: Promise<void> | undefined = combined
    ? Promise.resolve()
    : idle
      ? activityWorker!.run()
      : undefined;
  const ids: string[] = [];
  const run = (tag: string, n: number, key: number, place: string) => {
    const workflowId = `${tag}-${randomUUID()}`;
    ids.push(workflowId);
    return client.workflow.execute('dispatchProbe', {
      taskQueue,
      workflowId,
      args: [tag, n, 10, key, place],
    });
  };
  try {
    const t0 = Date.now();
    const bulk = [
      run('A1', calls, 3, 'place-a'),
      run('A2', calls, 3, 'place-a'),
      run('B1', calls, 3, 'place-b'),
    ];
    await new Promise((r) => setTimeout(r, 3000));
    const rollback = run('A-rollback', 4, 1, 'place-a');
    await new Promise((r) => setTimeout(r, 1000));
    const rollbackAt = Date.now();
    runningActivities ??= activityWorker!.run();
    await Promise.all([...bulk, rollback]);
    const rate = (prefix: string) => {
      const t = started.filter((s) => s.tag.startsWith(prefix) && s.tag !== 'A-rollback').map((s) => s.at);
      return +((t.length - 1) / ((Math.max(...t) - Math.min(...t)) / 1000)).toFixed(2);
    };
    const rollbackStarts = started.filter((s) => s.tag === 'A-rollback').map((s) => s.at);
    const lastRollback = Math.max(...rollbackStarts);
    const aheadOfRollback = started.filter(
      (s) => s.tag.startsWith('A') && s.tag !== 'A-rollback' && s.at > rollbackAt && s.at < lastRollback,
    ).length;
    // What the server recorded: the scheduled activity's priority (fairness key included?).
    const events = (await client.workflow.getHandle(ids[ids.length - 1]!).fetchHistory()).events ?? [];
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )?.activityTaskScheduledEventAttributes;
    console.error(`recorded priority: ${JSON.stringify(scheduled?.priority)}`);
    console.log(
      JSON.stringify({
        perKeyLimit: perKey,
        placeA: { calls: 2 * calls, perSecond: rate('A') },
        placeB: { calls, perSecond: rate('B') },
        wallMs: Date.now() - t0,
        rollback: {
          firstMsAfterStart: Math.min(...rollbackStarts) - rollbackAt,
          lastMsAfterStart: lastRollback - rollbackAt,
          placeACallsHandedOutMeanwhile: aheadOfRollback,
          placeACallsStillQueuedAtStart: started.filter(
            (s) => s.tag.startsWith('A') && s.tag !== 'A-rollback' && s.at > lastRollback,
          ).length,
        },
      }),
    );
  } finally {
    workflowWorker.shutdown();
    if (activityWorker?.getState() === 'RUNNING') activityWorker.shutdown();
    await Promise.all([runningWorkflows, runningActivities]);
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * How exactly the Temporal server hands out activity tasks at a task-queue rate limit
 * (`maxTaskQueueActivitiesPerSecond`), with nothing else in the way: `runs` workflows each make
 * `calls` no-op activities, `window` at a time, on one worker. Prints the achieved rate against the
 * limit, the largest number handed out in any 1 s, and how long the queue stood empty.
 *
 *   npx tsx bench/limiter-probe.ts [rate=18] [runs=25] [calls=48] [window=10] [partitions=default]
 *
 * `partitions` (a number) starts the dev server with matching.numTaskqueueReadPartitions and
 * numTaskqueueWritePartitions at that value. Used to find where the rate-limit benchmark's wall
 * time went (docs/benchmarks.md, scenario 8).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startDevServer } from '../src/temporal/dev-server.js';

const [rate = 18, runs = 25, calls = 48, window = 10] = process.argv.slice(2, 6).map(Number);
const partitionsArg = process.argv[6];

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dynamicConfig =
    partitionsArg === undefined || partitionsArg === 'default'
      ? {}
      : {
          'matching.numTaskqueueReadPartitions': Number(partitionsArg),
          'matching.numTaskqueueWritePartitions': Number(partitionsArg),
        };
  const server = await startDevServer({ headless: true, dynamicConfig });
  const taskQueue = `probe-${randomUUID().slice(0, 8)}`;
  const handedOut: number[] = [];
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./probe/workflows.ts', import.meta.url)),
    activities: {
      probeCall: async () => {
        handedOut.push(Date.now());
      },
    },
    maxTaskQueueActivitiesPerSecond: rate,
    maxConcurrentActivityTaskExecutions: 100,
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const running = worker.run();
  try {
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: runs! }, (_, r) =>
        client.workflow.execute('dispatchProbe', {
          taskQueue,
          workflowId: `probe-${r}-${randomUUID()}`,
          args: [String(r), calls, window, 3],
        }),
      ),
    );
    const wall = Date.now() - t0;
    handedOut.sort((a, b) => a - b);
    const total = handedOut.length;
    let maxPerSecond = 0;
    for (let i = 0, j = 0; i < total; i++) {
      while (handedOut[i]! - handedOut[j]! >= 1000) j++;
      maxPerSecond = Math.max(maxPerSecond, i - j + 1);
    }
    const span = handedOut[total - 1]! - handedOut[0]!;
    const bound = (total / rate!) * 1000;
    console.log(
      JSON.stringify({
        rate,
        partitions: partitionsArg ?? 'default',
        activities: total,
        wallMs: wall,
        firstToLastMs: span,
        boundMs: Math.round(bound),
        wallOverBound: +(wall / bound).toFixed(3),
        achievedPerSecond: +((total - 1) / (span / 1000)).toFixed(2),
        maxIn1s: maxPerSecond,
      }),
    );
  } finally {
    worker.shutdown();
    await running;
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * The rollout worker as a process of its own, so the OS's accounting (CPU time, peak RSS) is the
 * worker's alone: the emulator and the benchmark's client run in other processes.
 *
 * env: BENCH_TEMPORAL_ADDRESS, BENCH_NAMESPACE (default), BENCH_TASK_QUEUE, BENCH_EMULATOR_URL,
 * BENCH_WORKFLOW_BUNDLE (a prebuilt bundle; else workflows are bundled at start),
 * BENCH_MAX_ACTIVITIES (100, the worker's default).
 * Prints `bench worker ready pid=<pid> taskQueue=<queue>` once polling; SIGTERM stops it cleanly.
 */
import { budgetWorkerOptions, loadAwsCallBudget } from '../src/worker/aws-call-budget.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createEmulatorAwsClients, destroyAwsClients } from '../src/aws/clients.js';
import { createPlaceClients } from '../src/aws/places.js';
import { createRolloutWorker } from '../src/worker/create-worker.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`bench worker: ${name} is required`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const address = required('BENCH_TEMPORAL_ADDRESS');
  const taskQueue = required('BENCH_TASK_QUEUE');
  const endpoint = required('BENCH_EMULATOR_URL');
  const namespace = process.env.BENCH_NAMESPACE || 'default';
  const bundle = process.env.BENCH_WORKFLOW_BUNDLE || undefined;
  const maxActivities = Number(process.env.BENCH_MAX_ACTIVITIES || 100);

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const aws = createEmulatorAwsClients(endpoint);
  // Fleet benchmarks: other Regions and accounts at the same emulator, roles through its STS.
  const places = createPlaceClients({
    endpoint,
    credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
  });
  const connection = await NativeConnection.connect({ address });
  const worker = await createRolloutWorker({
    connection,
    namespace,
    taskQueue,
    deps: { aws },
    places,
    failOnNondeterminism: true,
    ...(bundle ? { workflowBundlePath: bundle } : {}),
    maxConcurrentActivityTaskExecutions: maxActivities,
    shutdownGraceTime: '2s',
    // The fleet's AWS call budget, as the production worker reads it (ROLLOUTS_AWS_CALLS_PER_SECOND).
    overrides: budgetWorkerOptions(loadAwsCallBudget(process.env)),
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    worker.shutdown();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const running = worker.run();
  console.log(`bench worker ready pid=${process.pid} taskQueue=${taskQueue}`);
  await running;
  await connection.close();
  destroyAwsClients(aws);
  places.destroy();
}

main().catch((err: unknown) => {
  console.error('bench worker failed:', err);
  process.exit(1);
});

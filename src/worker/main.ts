/**
 * The production worker: `npm run worker` (from source) or `node dist/worker/main.js` (after
 * `npm run build`, using the prebuilt workflow bundle). Configuration: README, "Configuration".
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createDataPlaneClients } from '../activities/opensearch-data-plane.js';
import { awsTimeoutsFromEnv, createAwsClients, destroyAwsClients } from '../aws/clients.js';
import { createPlaceClients } from '../aws/places.js';
import { ConfigError, loadWorkerConfig, type WorkerConfig } from '../config.js';
import { loadTracingConfig, startTracing, tracedBundlePath, type TracingConfig } from '../tracing/index.js';
import { budgetWorkerOptions, loadAwsCallBudget, type AwsCallBudget } from './aws-call-budget.js';
import { createRolloutWorker } from './create-worker.js';
import { createJsonLogger } from './logger.js';

/** dist/worker/main.js finds dist/workflow-bundle.js one folder up; from source, workflows are bundled at start. */
function defaultBundle(config: WorkerConfig): string | undefined {
  if (config.workflowBundlePath) return config.workflowBundlePath;
  const beside = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
  return existsSync(beside) ? beside : undefined;
}

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: WorkerConfig;
  let budget: AwsCallBudget;
  let tracingConfig: TracingConfig | undefined;
  let workflowBundlePath: string | undefined;
  try {
    config = loadWorkerConfig(env);
    tracingConfig = loadTracingConfig(env, 'package-rollouts-worker');
    workflowBundlePath = defaultBundle(config);
    // With tracing on, the prebuilt bundle that has the tracing interceptors compiled in.
    if (tracingConfig && workflowBundlePath) workflowBundlePath = tracedBundlePath(workflowBundlePath);
    awsTimeoutsFromEnv(env); // a bad AWS timeout stops the worker here too, named
    budget = loadAwsCallBudget(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`package-rollouts worker: configuration error: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createJsonLogger(config.logLevel);
  Runtime.install({
    logger,
    // Temporal's own Prometheus exporter: worker, workflow and activity metrics on one endpoint.
    ...(config.metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.metricsAddress } } } }
      : {}),
    // Our handlers below run shutdown with a grace period instead of the runtime's default.
    shutdownSignals: [],
  });
  const connection = await NativeConnection.connect({
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  });
  // Before the AWS clients are built, so that they are traced.
  const tracing = tracingConfig ? await startTracing(tracingConfig) : undefined;
  const aws = createAwsClients();
  // Other Regions and accounts (fleet rollouts): clients per place, roles assumed through STS.
  const places = createPlaceClients({ env });
  const worker = await createRolloutWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    deps: {
      aws,
      // `none` for domains that are local nodes without security (the demo); SigV4 (service es) otherwise.
      dataPlane: createDataPlaneClients({
        signing: process.env.ROLLOUTS_DATA_PLANE_SIGNING === 'none' ? 'none' : 'sigv4',
      }),
    },
    places,
    workflowBundlePath,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    shutdownGraceTime: config.shutdownGraceSeconds * 1000,
    dataConverter: config.dataConverter,
    failOnNondeterminism: config.failOnNondeterminism,
    tracing,
    overrides: budgetWorkerOptions(budget),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker stopping: finishing running activities within the grace period', {
      signal,
      graceSeconds: config.shutdownGraceSeconds,
    });
    worker.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  logger.info('worker started', {
    address: config.address,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflows: workflowBundlePath ?? '(bundled from source at start)',
    metrics: config.metricsAddress ?? 'off',
    awsRegion: env.AWS_REGION ?? '(SDK default chain)',
    awsEndpoint: env.AWS_ENDPOINT_URL ?? '(AWS)',
    awsCallsPerSecond: budget.callsPerSecond ?? 'no budget',
    payloadEncryption: config.payloadKeyId ? `AES-256-GCM, key ${config.payloadKeyId}` : 'off',
    tracing: tracingConfig ? `OTLP ${tracingConfig.protocol} to ${tracingConfig.url}` : 'off',
  });
  try {
    await worker.run();
  } finally {
    destroyAwsClients(aws);
    places.destroy();
    await tracing?.shutdown();
    await connection.close();
    logger.info('worker stopped');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runWorker().catch((err: unknown) => {
    process.stderr.write(`package-rollouts worker failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

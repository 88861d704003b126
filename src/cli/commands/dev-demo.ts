/**
 * The demo's moving parts (loaded only by `rollouts dev`: the worker, the emulator and the dev
 * server cost every other command startup time).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import {
  createAwsClients,
  createEmulatorAwsClients,
  destroyAwsClients,
  EMULATOR_DEMO_CREDENTIALS,
  type AwsClients,
} from '../../aws/clients.js';
import { startDictionaryRollout } from '../../client/dictionary-rollout.js';
import type { TemporalConfig } from '../../config.js';
import { startEmulator, type RunningEmulator } from '../../emulator/server.js';
import { dictionaryRolloutWorkflowId } from '../../model/dictionary-rollout.js';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { createRolloutWorker } from '../../worker/create-worker.js';
import { createPlaceClients } from '../../aws/places.js';
import { bool, list, noPositionals, num, str } from '../args.js';
import type { CommandContext } from '../context.js';
import { connectClient, temporalConfigFrom } from '../context.js';
import { ExitCodes, UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { reportEnd } from '../report.js';
import { watchRun } from '../watch.js';
import {
  DEMO_BUCKET,
  DEMO_PACKAGE,
  DEMO_TASK_QUEUE,
  DEV_OPTIONS,
  defaultDataDir,
  demoProbeToken,
  sampleInput,
  webUiLink,
} from './dev.js';
import { createBuckets } from './emulator.js';
import { printTokensAfter, startDemoDataPlane, verifiedSample } from './dev-verify.js';
import { createDataPlaneClients } from '../../activities/opensearch-data-plane.js';
import { untilSignal } from '../signals.js';
import { runIdOf } from './start.js';

interface DemoAws {
  clients: AwsClients;
  domains: string[];
  bucket: string;
  emulator?: RunningEmulator;
  where: string;
}

/**
 * Real AWS when ROLLOUTS_DEMO_DOMAINS names domains (the SDK's own environment then says where:
 * AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...), else the embedded emulator, seeded.
 */
async function demoAws(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  ctxValues: Record<string, unknown>,
): Promise<DemoAws> {
  const realDomains = list(env.ROLLOUTS_DEMO_DOMAINS ?? '');
  if (realDomains.length > 0) {
    const bucket = env.ROLLOUTS_DEMO_STAGING_BUCKET;
    if (!bucket)
      throw new UsageError(
        'ROLLOUTS_DEMO_DOMAINS is set: set ROLLOUTS_DEMO_STAGING_BUCKET too (an S3 bucket to stage the sample in)',
        'dev',
      );
    return {
      clients: createAwsClients(),
      domains: realDomains,
      bucket,
      where: `AWS (${env.AWS_ENDPOINT_URL ?? env.AWS_REGION ?? 'SDK default chain'})`,
    };
  }
  const values = ctxValues as Record<string, string | boolean | undefined>;
  const count = num(values, 'domains', DEV_OPTIONS) ?? 4;
  if (!Number.isInteger(count) || count < 1 || count > 50)
    throw new UsageError('--domains must be a whole number from 1 to 50', 'dev');
  const emulator = await startEmulator({
    port: num(values, 'emulator-port', DEV_OPTIONS) ?? 0,
    stateFile: join(dataDir, 'emulator.json'),
    // Slow enough to watch, fast enough to wait for.
    durations: { packageCopyingMs: 300, packageValidatingMs: 300, associationMs: 1500, dissociationMs: 1000 },
  });
  const domains = Array.from({ length: count }, (_, i) => `demo-search-${i + 1}`);
  await emulator.control.seedDomains(domains.map((name) => ({ name })));
  await createBuckets(emulator.url, [DEMO_BUCKET]);
  return {
    clients: createEmulatorAwsClients(emulator.url),
    domains,
    bucket: DEMO_BUCKET,
    emulator,
    where: `the AWS emulator at ${emulator.url}`,
  };
}

async function demoTemporal(
  env: NodeJS.ProcessEnv,
  values: Record<string, string | boolean | string[] | undefined>,
  dataDir: string,
  out: Output,
): Promise<{ config: TemporalConfig; server?: DevServer; uiUrl?: string }> {
  const external = str(values, 'address') ?? env.TEMPORAL_ADDRESS;
  const config = temporalConfigFrom(
    { ...env, ROLLOUTS_TASK_QUEUE: env.ROLLOUTS_TASK_QUEUE || DEMO_TASK_QUEUE },
    values,
  );
  if (external) return { config, uiUrl: env.TEMPORAL_UI_URL };
  const headless = bool(values, 'headless');
  const server = await startDevServer({
    headless,
    dbFile: join(dataDir, 'dev.db'),
    port: await portOrFree(num(values, 'port', DEV_OPTIONS) ?? 7233, out),
    uiPort: headless ? 0 : await portOrFree(num(values, 'ui-port', DEV_OPTIONS) ?? 8233, out),
    namespace: config.namespace,
    log: (m) => out.notice(m),
  });
  return { config: { ...config, address: server.address }, server, uiUrl: server.uiUrl };
}

/** The preferred port when it is free (stable links across runs), else 0: any free port. */
async function portOrFree(preferred: number, out: Output): Promise<number> {
  if (preferred === 0) return 0;
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  if (!free) out.notice(`port ${preferred} is in use: taking a free one`);
  return free ? preferred : 0;
}

/** A sample from an earlier demo run still open (interrupted by Ctrl-C): it resumes with the worker. */
async function followLeftover(
  client: Client,
  workflowId: string,
  out: Output,
  intervalMs: number,
): Promise<void> {
  const handle: WorkflowHandle = client.workflow.getHandle(workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return;
    throw err;
  }
  if (status !== 'RUNNING') return;
  out.notice(
    `The sample rollout of an earlier demo run is still open: it resumes now that a worker is back. Following it to its end first.`,
  );
  await watchRun(handle, { intervalMs, out });
}

export async function runDemo(ctx: CommandContext): Promise<number> {
  noPositionals(ctx.positionals, ctx.command);
  const { out, env, values } = ctx;
  const dataDir = str(values, 'data-dir') ?? defaultDataDir(env);
  mkdirSync(dataDir, { recursive: true });
  const intervalMs = Math.max(50, (num(values, 'interval', DEV_OPTIONS) ?? 0.5) * 1000);
  const exitWhenDone = bool(values, 'exit-when-done');

  const signal = untilSignal().then((s) => {
    out.notice(`\n${s}: stopping the worker, the emulator and the dev server ...`);
  });

  const { config, server, uiUrl } = await demoTemporal(env, values, dataDir, out);
  ctx.onClose(() => server?.stop());
  const aws = await demoAws(env, dataDir, values);
  const dataPlane = aws.emulator ? await startDemoDataPlane(aws.emulator, aws.domains, out, env) : undefined;
  ctx.onClose(async () => {
    destroyAwsClients(aws.clients);
    await aws.emulator?.stop();
    await dataPlane?.stop();
  });

  // Fleet targets (other Regions and accounts) work in the demo as with `npm run worker`: against
  // the emulator, every place is at its endpoint and roles are assumed through its STS.
  const places = createPlaceClients(
    aws.emulator ? { endpoint: aws.emulator.url, credentials: EMULATOR_DEMO_CREDENTIALS } : {},
  );
  ctx.onClose(() => places.destroy());

  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const native = await NativeConnection.connect({
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  });
  const worker: Worker = await createRolloutWorker({
    connection: native,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    deps: {
      aws: aws.clients,
      ...(dataPlane
        ? { dataPlane: createDataPlaneClients({ signing: 'none', requestTimeoutMs: 10_000 }) }
        : {}),
    },
    places,
    shutdownGraceTime: '5s',
    ...(config.dataConverter ? { dataConverter: config.dataConverter } : {}),
  });
  const running = worker.run();
  ctx.onClose(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
    await native.close();
  });
  const client = await connectClient(config, 10_000);
  ctx.onClose(() => client.connection.close());

  out.line(
    `Temporal ${config.address} (namespace ${config.namespace}), worker on task queue ${config.taskQueue}, ${aws.where}`,
  );
  if (uiUrl) out.line(`Temporal Web UI: ${uiUrl}`);
  const workflowId = dictionaryRolloutWorkflowId(DEMO_PACKAGE);
  const sample = (async () => {
    await followLeftover(client, workflowId, out, intervalMs);
    const now = new Date();
    const plain = sampleInput(aws.domains, aws.bucket, now, aws.emulator ? 'emulator' : 'aws');
    const input = dataPlane
      ? await verifiedSample(dataPlane, aws.clients, plain, [demoProbeToken(now)], out)
      : plain;
    const { handle } = await startDictionaryRollout(client, input, {
      taskQueue: config.taskQueue,
    });
    out.line(`Sample rollout of '${DEMO_PACKAGE}' to ${aws.domains.join(', ')}: ${workflowId}`);
    if (uiUrl) out.line(`  Web UI: ${webUiLink(uiUrl, config.namespace, workflowId, runIdOf(handle))}`);
    if (out.json) out.jsonLine({ type: 'started', workflowId, runId: runIdOf(handle), uiUrl });
    const ended = await watchRun(handle, { intervalMs, out });
    if (dataPlane) await printTokensAfter(dataPlane, aws.clients, DEMO_PACKAGE, out);
    return reportEnd(out, workflowId, ended, { stream: true });
  })();

  const first = await Promise.race([sample, signal.then(() => undefined)]);
  if (first === undefined) return 130; // Ctrl-C before the sample ended: it resumes next time.
  if (exitWhenDone) return first;
  out.line('');
  out.line(
    uiUrl
      ? `Everything stays up: open ${uiUrl} to look around. Ctrl-C stops it all.`
      : 'Everything stays up until Ctrl-C.',
  );
  await signal;
  return ExitCodes.ok;
}

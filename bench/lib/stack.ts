import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createEmulatorAwsClients, destroyAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { EmulatorControl } from '../../src/emulator/control-client.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { workflowsEntry } from '../../src/worker/create-worker.js';
import { GNU_TIME, hasGnuTime, spawnAndWait, tsxArgs, type ChildHandle } from './processes.js';

export const STAGING_BUCKET = 'bench-staging';
export const STAGING_PREFIX = 'package-rollouts/';

export type Log = (message: string) => void;

export interface WorkerHandle extends ChildHandle {
  taskQueue: string;
  /** GNU time's report once stopped, when started with `timed`. */
  timeReport(): string;
}

/**
 * Everything a scenario needs, each piece in its own process: the Temporal dev server (the CLI),
 * the AWS emulator (`src/emulator/main.ts`), the rollout worker (`bench/worker-process.ts`); this
 * process is the client (and runs the plain scripts).
 */
export interface BenchStack {
  address: string;
  namespace: string;
  /** The dev server's process (for its CPU time), when known. */
  serverPid: number | undefined;
  client: Client;
  aws: AwsClients;
  emulatorUrl: string;
  emulator: ChildHandle;
  control: EmulatorControl;
  /** The long-lived worker of scenarios 1-4. */
  worker: WorkerHandle;
  /**
   * Starts another worker process on a task queue of its own (optionally under /usr/bin/time -v,
   * optionally with another number of concurrent activity slots than the default 100).
   */
  startWorker(options?: {
    timed?: boolean;
    maxActivities?: number;
    awsCallsPerSecond?: number;
  }): Promise<WorkerHandle>;
  /** Emulator back to empty, durations set, domains seeded, staging bucket created. */
  resetAws(options: { durations: Record<string, number>; domains: readonly string[] }): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchStack(log: Log): Promise<BenchStack> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    log('starting the Temporal dev server (headless, in memory)...');
    // BENCH_TEMPORAL_DYNAMIC_CONFIG='{"key": value}': compare server settings (docs/benchmarks.md, scenario 8).
    const dynamicConfig = process.env.BENCH_TEMPORAL_DYNAMIC_CONFIG
      ? (JSON.parse(process.env.BENCH_TEMPORAL_DYNAMIC_CONFIG) as Record<string, unknown>)
      : undefined;
    const server: DevServer = await startDevServer({
      headless: true,
      log,
      ...(dynamicConfig ? { dynamicConfig } : {}),
    });
    cleanups.push(() => server.stop());

    log('starting the AWS emulator as its own process...');
    const emulator = await spawnAndWait(
      process.execPath,
      [...tsxArgs('src/emulator/main.ts'), '--port', '0'],
      {
        ready: /emulator listening on (http:\/\/\S+)/,
      },
    );
    cleanups.push(() => emulator.stop());
    const emulatorUrl = /emulator listening on (http:\/\/\S+)/.exec(emulator.readyLine)![1]!;
    const control = new EmulatorControl(emulatorUrl);

    log('bundling the workflows once (every worker process reuses the bundle)...');
    const dir = mkdtempSync(join(tmpdir(), 'rollouts-bench-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const bundlePath = join(dir, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: quietLogger });
    writeFileSync(bundlePath, code);

    const startWorker = async (
      options: { timed?: boolean; maxActivities?: number; awsCallsPerSecond?: number } = {},
    ): Promise<WorkerHandle> => {
      const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
      const timeFile = join(dir, `${taskQueue}.time`);
      const env = {
        ...process.env,
        BENCH_TEMPORAL_ADDRESS: server.address,
        BENCH_NAMESPACE: server.namespace,
        BENCH_TASK_QUEUE: taskQueue,
        BENCH_EMULATOR_URL: emulatorUrl,
        BENCH_WORKFLOW_BUNDLE: bundlePath,
        ...(options.maxActivities ? { BENCH_MAX_ACTIVITIES: String(options.maxActivities) } : {}),
        ...(options.awsCallsPerSecond
          ? { ROLLOUTS_AWS_CALLS_PER_SECOND: String(options.awsCallsPerSecond) }
          : {}),
      };
      const nodeArgs = tsxArgs('bench/worker-process.ts');
      const timed = options.timed === true && hasGnuTime();
      const handle = timed
        ? await spawnAndWait(GNU_TIME, ['-v', '-o', timeFile, process.execPath, ...nodeArgs], {
            env,
            ready: /bench worker ready/,
            pidFrom: /pid=(\d+)/,
          })
        : await spawnAndWait(process.execPath, nodeArgs, { env, ready: /bench worker ready/ });
      cleanups.push(() => handle.stop());
      return {
        ...handle,
        taskQueue,
        timeReport: () => {
          try {
            return timed ? readFileSync(timeFile, 'utf8') : '';
          } catch {
            return '';
          }
        },
      };
    };
    log('starting the rollout worker as its own process...');
    const worker = await startWorker();

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: server.namespace });
    const aws = createEmulatorAwsClients(emulatorUrl);
    cleanups.push(() => destroyAwsClients(aws));

    return {
      address: server.address,
      namespace: server.namespace,
      serverPid: server.pid,
      client,
      aws,
      emulatorUrl,
      emulator,
      control,
      worker,
      startWorker,
      async resetAws({ durations, domains }) {
        await control.reset();
        await control.setDurations(durations);
        for (let i = 0; i < domains.length; i += 500)
          await control.seedDomains(domains.slice(i, i + 500).map((name) => ({ name })));
        await aws.s3.send(new CreateBucketCommand({ Bucket: STAGING_BUCKET }));
        await control.clearCalls();
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
};

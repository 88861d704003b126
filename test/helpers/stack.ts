import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  NativeConnection,
  Runtime,
  DefaultLogger,
  type Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { createPlaceClients, type PlaceClients } from '../../src/aws/places.js';
import { awsClientsFor, TEST_CREDENTIALS } from './aws.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';
import { createRolloutWorker } from '../../src/worker/create-worker.js';

let runtimeInstalled = false;

export interface TestStack {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  emulator: RunningEmulator;
  aws: AwsClients;
  /** The worker's clients for other Regions and accounts (roles assumed through the emulator's STS). */
  places: PlaceClients;
  taskQueue: string;
  namespace: string;
  worker: Worker;
  /** Stop the worker (e.g. to simulate a crash) and start a fresh one on the same task queue. */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Per test file: an in-process emulator, a worker on a task queue of its own, and a client, all
 * against the one real dev server that global setup started.
 */
export async function startTestStack(
  testFile: string,
  options: {
    emulator?: EmulatorOptions;
    worker?: Partial<WorkerOptions>;
    /** Activity deps beside the AWS clients (e.g. data-plane clients for local nodes). */
    deps?: Omit<ActivityDeps, 'aws'>;
  } = {},
): Promise<TestStack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const taskQueue = `test-${basename(testFile).replace(/\W+/g, '-')}-${randomUUID().slice(0, 8)}`;
  const emulator = await startEmulator(options.emulator);
  const aws = awsClientsFor(emulator);
  const places = createPlaceClients({ endpoint: emulator.url, credentials: TEST_CREDENTIALS });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const nativeConnection = await NativeConnection.connect({ address });

  const makeWorker = () =>
    createRolloutWorker({
      connection: nativeConnection,
      namespace,
      taskQueue,
      deps: { aws, ...options.deps },
      places,
      // Tests: a non-deterministic change fails the run instead of blocking it.
      failOnNondeterminism: true,
      shutdownGraceTime: '1s',
      overrides: options.worker,
    });
  let worker = await makeWorker();
  let running = worker.run();

  const stack: TestStack = {
    client,
    connection,
    nativeConnection,
    emulator,
    aws,
    places,
    taskQueue,
    namespace,
    get worker() {
      return worker;
    },
    async restartWorker() {
      worker.shutdown();
      await running;
      worker = await makeWorker();
      running = worker.run();
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
      destroyAwsClients(aws);
      places.destroy();
      await emulator.stop();
    },
  };
  return stack;
}

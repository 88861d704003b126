import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps.js';
import { createActivities } from '../activities/index.js';
import type { PlaceClients } from '../aws/places.js';
import type { Tracing } from '../tracing/index.js';

export interface RolloutWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /**
   * Clients for other Regions and accounts (src/aws/places.ts): serve targets with a place, and
   * name the worker (its Temporal identity) as they name their role sessions. The caller destroys them.
   */
  places?: PlaceClients;
  /** A prebuilt bundle (production); else workflows are bundled from source at start. */
  workflowBundlePath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Payload encryption (src/codec): the same data converter every client of the task queue uses. */
  dataConverter?: WorkerOptions['dataConverter'];
  /**
   * Fail a run whose history no longer matches the workflow code (tests, CI). Off by default: in
   * production the workflow task is retried instead, so a bad deploy is fixed by rolling the code
   * back, and the open runs continue where they were rather than failing for good.
   */
  failOnNondeterminism?: boolean;
  /** OpenTelemetry interceptors and the workflow spans' sink (src/tracing); none when tracing is off. */
  tracing?: Tracing;
  /** Extra options (tests use identity, sticky cache sizes, ...). */
  overrides?: Partial<WorkerOptions>;
}

/** The source entry of the workflows, whether running from src (tsx) or from dist (node). */
export function workflowsEntry(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

export async function createRolloutWorker(options: RolloutWorkerOptions): Promise<Worker> {
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: workflowsEntry() };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowSource,
    activities: createActivities({
      ...options.deps,
      ...(options.places && !options.deps.awsForPlace
        ? { awsForPlace: options.places.clientsFor.bind(options.places) }
        : {}),
    }),
    ...(options.places ? { identity: options.places.identity } : {}),
    ...(options.failOnNondeterminism
      ? { workflowFailureErrorTypes: { '*': ['NondeterminismError', 'DeterminismViolationError'] } }
      : {}),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 100,
    shutdownGraceTime: options.shutdownGraceTime ?? '30s',
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...options.tracing?.workerOptions({ prebuiltBundle: Boolean(options.workflowBundlePath) }),
    ...options.overrides,
  });
}

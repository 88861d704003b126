/**
 * The public client module for TypeScript services: start each workflow, wait for its result,
 * query its progress, approve / pause / resume / cancel it, list recent rollouts, and manage
 * scheduled dictionary refreshes. Every start validates its input with the workflow's own schema
 * first, so bad input throws InvalidInputError before anything is started.
 *
 *   import { Client, Connection } from '@temporalio/client';
 *   import { startDictionaryRollout, waitForResult } from 'package-rollouts/src/client/index.js';
 *
 *   const client = new Client({ connection: await Connection.connect({ address }) });
 *   const { workflowId } = await startDictionaryRollout(client, input);   // InvalidInputError first
 *   await rolloutProgressOf(client, workflowId);                          // the 'progress' query
 *   await approveRollout(client, workflowId);                             // next wave / IoT publish
 *   await pauseRolloutById(client, workflowId); await resumeRolloutById(client, workflowId);
 *   await cancelRollout(client, workflowId);
 *   const result = await waitForResult(client, workflowId);               // also of failed runs
 *   const recent = await listRollouts(client, { kind: 'dictionary', status: 'failed' });
 *
 * Tracing (docs/tracing.md): `const tracing = await startTracingFromEnv(process.env, 'my-service')`
 * and `new Client({ ..., interceptors: tracing?.clientInterceptors })`; `tracing?.shutdown()` at exit.
 */
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, type TypedSearchAttributes } from '@temporalio/common';
import { WorkflowTypes, type WorkflowType } from '../model/constants.js';
import { FailureTypes } from '../model/failures.js';
import {
  RolloutDomains,
  RolloutFailedDomains,
  RolloutRegions,
  RolloutKind,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetVersion,
} from '../model/search-attributes.js';
import { InvalidInputError } from '../model/validation.js';
import { approveWave, pauseRollout, resumeRollout } from './dictionary-rollout.js';
import { approveIotPackageRelease } from './iot-package-release.js';
import type { IotApproval } from '../model/iot-package-release.js';
import { resultInFailure, rolloutResult } from './results.js';
import { queuedCallsOf, type QueuedCalls } from './queued-calls.js';

export * from './dictionary-rollout.js';
export * from './package-removal.js';
export * from './data-source-attachment.js';
export * from './iot-package-release.js';
export * from './plugin-rollout.js';
export * from './results.js';
export * from './schedules.js';
export { queuedCalls, queuedCallsOf, queuedCallsText, type QueuedCalls } from './queued-calls.js';
export { InvalidInputError, type InputIssue } from '../model/validation.js';
// The input schemas the workflows validate with (zod), and the types of inputs and results.
export {
  dictionaryRolloutInput,
  type DictionaryRolloutInput,
  type DictionaryRolloutProgress,
  type DictionaryRolloutResult,
} from '../model/dictionary-rollout.js';
export {
  packageRemovalInput,
  type PackageRemovalInput,
  type PackageRemovalProgress,
  type PackageRemovalResult,
} from '../model/package-removal.js';
export {
  dataSourceAttachmentInput,
  type DataSourceAttachmentInput,
  type DataSourceAttachmentProgress,
  type DataSourceAttachmentResult,
} from '../model/data-source-attachment.js';
export {
  iotPackageReleaseInput,
  type IotPackageReleaseInput,
  type IotPackageReleaseProgress,
  type IotPackageReleaseResult,
} from '../model/iot-package-release.js';
export { DEFAULT_TASK_QUEUE, WorkflowTypes, type WorkflowType } from '../model/constants.js';
export { FailureTypes, type FailureType } from '../model/failures.js';
export { startTracingFromEnv, type Tracing } from '../tracing/index.js';

/** Short names people type (the CLI's `--kind`), next to the workflow type names. */
export const RolloutKinds: Record<string, WorkflowType> = {
  dictionary: WorkflowTypes.dictionaryRollout,
  removal: WorkflowTypes.packageRemoval,
  remove: WorkflowTypes.packageRemoval,
  attach: WorkflowTypes.dataSourceAttachment,
  'iot-release': WorkflowTypes.iotPackageRelease,
  plugin: WorkflowTypes.pluginRollout,
};

/** A workflow type from a short name or the type itself; undefined when it is neither. */
export function workflowTypeOf(kind: string): WorkflowType | undefined {
  if (Object.values(WorkflowTypes).includes(kind as WorkflowType)) return kind as WorkflowType;
  return RolloutKinds[kind];
}

export interface ListRolloutsFilter {
  /** A workflow type (`dictionaryRollout`) or its short name (`dictionary`). */
  kind?: string;
  /** A RolloutStatus value: running, waiting-for-approval, paused, succeeded, failed, ... */
  status?: string;
  /** The package / application / IoT package the rollout targets (RolloutTarget). */
  target?: string;
  /** Rollouts that include this domain (RolloutDomains; a placed domain by its target key). */
  domain?: string;
  /** Fleet rollouts with domains in this Region (RolloutRegions). */
  region?: string;
  /** At most this many, newest first [20]. */
  limit?: number;
}

export interface RolloutSummary {
  workflowId: string;
  runId: string;
  kind: string;
  target?: string;
  /** What the workflow last published (RolloutStatus): running, paused, succeeded, failed, ... */
  rolloutStatus?: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, ... */
  executionStatus: string;
  targetVersion?: string;
  domains?: number;
  failedDomains?: number;
  /** Fleets: the Regions of its placed domains (RolloutRegions). */
  regions?: string[];
  taskQueue: string;
  startTime: string;
  closeTime?: string;
}

/** Visibility strings are double-quoted; a quote or backslash in a value must not end the literal. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The visibility query behind listRollouts: only this project's workflow types, narrowed by the
 * custom search attributes each run keeps current. Throws InvalidInputError on an unknown kind.
 */
export function rolloutListQuery(filter: Omit<ListRolloutsFilter, 'limit'> = {}): string {
  const clauses: string[] = [];
  if (filter.kind) {
    const type = workflowTypeOf(filter.kind);
    if (!type)
      throw new InvalidInputError('list filter', [
        {
          field: 'kind',
          rule: `must be one of ${[...Object.keys(RolloutKinds), ...Object.values(WorkflowTypes)].join(', ')}`,
        },
      ]);
    clauses.push(`WorkflowType = ${quoted(type)}`);
  } else {
    clauses.push(`WorkflowType IN (${Object.values(WorkflowTypes).map(quoted).join(', ')})`);
  }
  if (filter.status) clauses.push(`${RolloutStatus.name} = ${quoted(filter.status)}`);
  if (filter.target) clauses.push(`${RolloutTarget.name} = ${quoted(filter.target)}`);
  if (filter.domain) clauses.push(`${RolloutDomains.name} = ${quoted(filter.domain)}`);
  if (filter.region) clauses.push(`${RolloutRegions.name} = ${quoted(filter.region)}`);
  return clauses.join(' AND ');
}

function summaryOf(info: {
  workflowId: string;
  runId: string;
  type: string;
  taskQueue: string;
  status: { name: string };
  startTime: Date;
  closeTime?: Date;
  typedSearchAttributes: TypedSearchAttributes;
}): RolloutSummary {
  const sa = info.typedSearchAttributes;
  const domains = sa.get(RolloutDomains);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    kind: sa.get(RolloutKind) ?? info.type,
    target: sa.get(RolloutTarget),
    rolloutStatus: sa.get(RolloutStatus),
    executionStatus: info.status.name,
    targetVersion: sa.get(RolloutTargetVersion),
    domains: domains?.length,
    failedDomains: sa.get(RolloutFailedDomains),
    ...(sa.get(RolloutRegions) ? { regions: sa.get(RolloutRegions) } : {}),
    taskQueue: info.taskQueue,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString(),
  };
}

/**
 * Recent rollouts, newest first, from Temporal's visibility store (eventually consistent: a run
 * started a moment ago may appear a moment later).
 */
export async function listRollouts(
  client: Client,
  filter: ListRolloutsFilter = {},
): Promise<RolloutSummary[]> {
  const limit = filter.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new InvalidInputError('list filter', [
      { field: 'limit', rule: 'must be a whole number from 1 to 1000' },
    ]);
  const out: RolloutSummary[] = [];
  for await (const info of client.workflow.list({ query: rolloutListQuery(filter), pageSize: limit })) {
    out.push(summaryOf(info));
    if (out.length >= limit) break;
  }
  return out;
}

export interface RolloutFailureSummary {
  /** ApplicationFailure type (FailureTypes) or the error's name. */
  type: string;
  message: string;
}

export interface RolloutDescription extends RolloutSummary {
  /** Live progress (the `progress` query) while the run is open. */
  progress?: unknown;
  /** The result once closed: also for runs that ended Failed with a result in their details. */
  result?: unknown;
  /** Why a closed run failed, when it did. */
  failure?: RolloutFailureSummary;
  staticSummary?: string;
  /** While open: its AWS calls due but not yet handed to a worker (held by the call budget). */
  queuedCalls?: QueuedCalls;
}

/** Where a rollout stands: its search attributes, live progress while open, result once closed. */
export async function describeRollout(client: Client, workflowId: string): Promise<RolloutDescription> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const out: RolloutDescription = { ...summaryOf(description) };
  const staticSummary = await description.staticSummary();
  if (staticSummary) out.staticSummary = staticSummary;
  if (description.status.name === 'RUNNING') {
    out.progress = await rolloutProgress(handle);
    out.queuedCalls = queuedCallsOf(description);
  } else {
    const ended = await awaitRunEnd(handle);
    if (ended.result !== undefined) out.result = ended.result;
    if (ended.failure) out.failure = ended.failure;
  }
  return out;
}

/** The `progress` query every rollout workflow answers (its shape depends on the workflow). */
export function rolloutProgress<T = unknown>(handle: WorkflowHandle): Promise<T> {
  return handle.query<T>('progress');
}

/**
 * Requests cancellation. Dictionary rollouts cancel gracefully: nothing new starts, in-flight
 * domains finish, the failure policy applies, and the run ends Failed with its result in the
 * RolloutCancelled failure. The other workflows stop at the step they are in and end Cancelled
 * (their progress query says where); `awaitRunEnd` reports both as RolloutCancelled.
 */
export async function cancelRollout(client: Client, workflowId: string): Promise<void> {
  await client.workflow.getHandle(workflowId).cancel();
}

export interface RunEnd<T> {
  /** True when the run completed (its outcome may still say 'unchanged' or 'dry-run'). */
  ok: boolean;
  /** The workflow's result: from its completion, or from the RolloutFailed / RolloutCancelled details. */
  result?: T;
  failure?: RolloutFailureSummary;
}

/** Waits for a run to close and says how it ended, without throwing for a failed rollout. */
export async function awaitRunEnd<T = unknown>(handle: WorkflowHandle): Promise<RunEnd<T>> {
  try {
    return { ok: true, result: (await handle.result()) as T };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const failure: RolloutFailureSummary =
      cause instanceof ApplicationFailure
        ? { type: cause.type ?? 'ApplicationFailure', message: cause.message }
        : cause instanceof CancelledFailure
          ? // Temporal's own Cancelled close (attachments, IoT releases): one name for callers.
            { type: FailureTypes.RolloutCancelled, message: cause.message || 'cancelled' }
          : { type: cause?.name ?? 'WorkflowFailed', message: cause?.message ?? err.message };
    const result = resultInFailure<T>(err);
    return result !== undefined ? { ok: false, result, failure } : { ok: false, failure };
  }
}

/**
 * Waits for the result of any rollout by workflow id. Runs that end Failed with RolloutFailed or
 * RolloutCancelled return their result (check its `outcome`); other failures throw
 * WorkflowFailedError (its `cause` is an ApplicationFailure with a FailureTypes `type`).
 */
export function waitForResult<T = unknown>(client: Client, workflowId: string): Promise<T> {
  return rolloutResult<T>(client.workflow.getHandle(workflowId));
}

/** The run exists but its workflow type has no such operation (e.g. pause on an IoT release). */
export class OperationNotSupportedError extends Error {
  override readonly name = 'OperationNotSupportedError';
  constructor(
    readonly workflowId: string,
    readonly workflowType: string,
    readonly operation: string,
    supportedBy: string[],
  ) {
    super(
      `'${operation}' does not apply to ${workflowId} (a ${workflowType} run): it applies to ${supportedBy.join(', ')} runs`,
    );
  }
}

async function workflowTypeOfRun(client: Client, workflowId: string): Promise<string> {
  return (await client.workflow.getHandle(workflowId).describe()).type;
}

/** The live `progress` query of any rollout by workflow id (its shape depends on the workflow). */
export function rolloutProgressOf<T = unknown>(client: Client, workflowId: string): Promise<T> {
  return rolloutProgress<T>(client.workflow.getHandle(workflowId));
}

export interface ApproveOptions {
  /** Dictionary rollouts: approve up to this wave (1-based) [the next one]. */
  wave?: number;
  /** IoT releases: who approved, for the record. */
  approvedBy?: string;
}

export type ApproveOutcome =
  | { workflowType: typeof WorkflowTypes.dictionaryRollout; approvedWave: number }
  | { workflowType: typeof WorkflowTypes.iotPackageRelease; approval: IotApproval };

/**
 * Approves what a run waits for: the next wave(s) of a dictionary rollout with approval between
 * waves, or the publication of an IoT release with publish 'after-approval'. A run that waits for
 * no approval refuses (WorkflowUpdateFailedError); other workflow types throw
 * OperationNotSupportedError without sending anything.
 */
export async function approveRollout(
  client: Client,
  workflowId: string,
  options: ApproveOptions = {},
): Promise<ApproveOutcome> {
  const type = await workflowTypeOfRun(client, workflowId);
  if (type === WorkflowTypes.dictionaryRollout)
    return {
      workflowType: type,
      approvedWave: await approveWave(client.workflow.getHandle(workflowId), options.wave),
    };
  if (type === WorkflowTypes.iotPackageRelease)
    return {
      workflowType: type,
      approval: await approveIotPackageRelease(
        client,
        workflowId,
        options.approvedBy !== undefined ? { approvedBy: options.approvedBy } : {},
      ),
    };
  throw new OperationNotSupportedError(workflowId, type, 'approve', [
    WorkflowTypes.dictionaryRollout,
    WorkflowTypes.iotPackageRelease,
  ]);
}

async function dictionaryOnly(
  client: Client,
  workflowId: string,
  operation: string,
): Promise<WorkflowHandle> {
  const type = await workflowTypeOfRun(client, workflowId);
  if (type !== WorkflowTypes.dictionaryRollout)
    throw new OperationNotSupportedError(workflowId, type, operation, [WorkflowTypes.dictionaryRollout]);
  return client.workflow.getHandle(workflowId);
}

/** Pauses a dictionary rollout: nothing new starts, in-flight domains finish. */
export async function pauseRolloutById(client: Client, workflowId: string): Promise<void> {
  await pauseRollout(await dictionaryOnly(client, workflowId, 'pause'));
}

/** Resumes a paused dictionary rollout. */
export async function resumeRolloutById(client: Client, workflowId: string): Promise<void> {
  await resumeRollout(await dictionaryOnly(client, workflowId, 'resume'));
}

/**
 * The public client module for TypeScript services: start each workflow, wait for its result,
 * query its progress, approve / pause / resume / cancel it, list recent rollouts, and manage
 * scheduled dictionary refreshes. Every start validates its input with the workflow's own schema
 * first, so bad input throws InvalidInputError before anything is started.
 *
 *   import { Client, Connection } from '@temporalio/client';
 *   import { startDictionaryRollout, waitForResult } from 'package-rollouts/src/client/index.js';
 */
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type TypedSearchAttributes } from '@temporalio/common';
import { WorkflowTypes, type WorkflowType } from '../model/constants.js';
import {
  RolloutDomains,
  RolloutFailedDomains,
  RolloutKind,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetVersion,
} from '../model/search-attributes.js';
import { InvalidInputError } from '../model/validation.js';
import { resultInFailure, rolloutResult } from './results.js';

export * from './dictionary-rollout.js';
export * from './package-removal.js';
export * from './results.js';
export * from './schedules.js';
export { InvalidInputError, type InputIssue } from '../model/validation.js';
export { DEFAULT_TASK_QUEUE, WorkflowTypes, type WorkflowType } from '../model/constants.js';
export { FailureTypes, type FailureType } from '../model/failures.js';

/** Short names people type (the CLI's `--kind`), next to the workflow type names. */
export const RolloutKinds: Record<string, WorkflowType> = {
  dictionary: WorkflowTypes.dictionaryRollout,
  removal: WorkflowTypes.packageRemoval,
  remove: WorkflowTypes.packageRemoval,
  attach: WorkflowTypes.dataSourceAttachment,
  'iot-release': WorkflowTypes.iotPackageRelease,
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
  /** Rollouts that include this domain (RolloutDomains). */
  domain?: string;
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
  } else {
    const ended = await settle(handle);
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
 * Requests cancellation. Rollouts cancel gracefully: nothing new starts, in-flight work finishes,
 * the failure policy applies, and the run ends with its result in the RolloutCancelled failure.
 */
export async function cancelRollout(client: Client, workflowId: string): Promise<void> {
  await client.workflow.getHandle(workflowId).cancel();
}

export interface Settled<T> {
  /** True when the run completed (its outcome may still say 'unchanged' or 'dry-run'). */
  ok: boolean;
  /** The workflow's result: from its completion, or from the RolloutFailed / RolloutCancelled details. */
  result?: T;
  failure?: RolloutFailureSummary;
}

/** Waits for a run to close and says how it ended, without throwing for a failed rollout. */
export async function settle<T = unknown>(handle: WorkflowHandle): Promise<Settled<T>> {
  try {
    return { ok: true, result: (await handle.result()) as T };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const failure: RolloutFailureSummary =
      cause instanceof ApplicationFailure
        ? { type: cause.type ?? 'ApplicationFailure', message: cause.message }
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

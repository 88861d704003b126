import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { DomainError } from '../model/dictionary-rollout.js';
import { FailureTypes, type AwsErrorDetails } from '../model/failures.js';
import { RolloutFailedDomains, RolloutStatus, type RolloutStatusValue } from '../model/search-attributes.js';
import { formatIssues, validate } from '../model/validation.js';

/**
 * Workflows validate their input again with the same schema as the client and the CLI: a service
 * in another language may start them directly. A failure names every broken field and happens
 * before any activity, so nothing in AWS was touched.
 */
export function parseWorkflowInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = validate(schema, input);
  if (result.ok) return result.value;
  throw ApplicationFailure.create({
    message: formatIssues(what, result.issues),
    type: FailureTypes.InvalidInput,
    nonRetryable: true,
    details: [{ issues: result.issues }],
  });
}

/** Keeps the Web UI's list view current: status, and failed domains where that applies. */
export function publishStatus(status: RolloutStatusValue, failedDomains?: number): void {
  const updates: SearchAttributeUpdatePair[] = [{ key: RolloutStatus, value: status }];
  if (failedDomains !== undefined) updates.push({ key: RolloutFailedDomains, value: failedDomains });
  upsertSearchAttributes(updates);
}

/**
 * A failure reduced to what a result should carry: its stable type, its message, and AWS's error
 * details (code, message, request id, domain) when an activity attached them.
 */
export function errorSummary(err: unknown): DomainError {
  const failure = innermostApplicationFailure(err);
  if (failure) {
    const aws = failure.details?.find(isAwsErrorDetails);
    return { type: failure.type ?? 'Error', message: failure.message, ...(aws ? { aws } : {}) };
  }
  return { type: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err) };
}

function innermostApplicationFailure(err: unknown): ApplicationFailure | undefined {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause)
    if (e instanceof ApplicationFailure) return e;
  return undefined;
}

function isAwsErrorDetails(d: unknown): d is AwsErrorDetails {
  return typeof d === 'object' && d !== null && 'code' in d && 'operation' in d && 'service' in d;
}

/**
 * Activity failures reach workflow code wrapped in ActivityFailure; rethrown as they are, callers
 * would find the stable type one level down. This lifts the activity's ApplicationFailure (type,
 * message, details) to the top of the workflow's failure, keeping the chain as its cause.
 */
export function surfaceActivityFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return ApplicationFailure.create({
      message: cause.message,
      type: cause.type ?? undefined,
      nonRetryable: true,
      details: cause.details ? [...cause.details] : undefined,
      cause: err,
    });
  }
  return err;
}

/** How long a polling activity over these domains may run: until the latest deadline, plus slack. */
export function latestDeadline(watching: ReadonlyArray<{ deadline: number }>): number {
  return Math.max(...watching.map((w) => w.deadline)) - Date.now() + 120_000;
}

/**
 * One AWS call: throttling, 5xx and lost answers are retried with backoff (up to 20 attempts);
 * AWS's decisions, mapped to these failure types, are final.
 */
export function awsCallOptions(nonRetryableErrorTypes: string[]): ActivityOptions {
  return {
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 20,
      nonRetryableErrorTypes,
    },
  };
}

/**
 * A wait: one activity that reads the status once per attempt and is retried by Temporal every
 * poll interval until it succeeds, so history stays flat however long AWS takes. Only `timeoutMs`
 * bounds it: executeWithOptions deep-merges into the proxy's awsCallOptions, so the attempt limit
 * must be lifted explicitly or every wait would give up after 20 polls.
 */
export function pollingOptions(
  pollIntervalSeconds: number,
  timeoutMs: number,
  nonRetryableErrorTypes: string[],
  startToCloseTimeout: ActivityOptions['startToCloseTimeout'] = '1 minute',
): ActivityOptions {
  return {
    startToCloseTimeout,
    scheduleToCloseTimeout: Math.max(timeoutMs, 1000),
    retry: {
      initialInterval: pollIntervalSeconds * 1000,
      backoffCoefficient: 1,
      maximumInterval: pollIntervalSeconds * 1000,
      maximumAttempts: Number.POSITIVE_INFINITY,
      nonRetryableErrorTypes,
    },
  };
}

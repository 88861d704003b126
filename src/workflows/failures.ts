import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import type { DomainError } from '../model/dictionary-rollout.js';
import { FailureTypes, type AwsErrorDetails } from '../model/failures.js';
import { formatIssues, validate } from '../model/validation.js';

/**
 * Workflows validate their input again with the same schema as the client and the CLI: a service
 * in another language may start them directly. A failure names every broken field and happens
 * before any activity, so nothing in AWS was touched.
 */
/**
 * What an update validator throws: the update is refused with the stable type UpdateRefused (a
 * plain Error would reach callers as type 'Error'), and nothing happens to the run.
 */
export function updateRefused(why: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureTypes.UpdateRefused, message: why, nonRetryable: true });
}

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

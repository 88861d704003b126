import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../model/failures.js';

/**
 * A rollout's result whether it succeeded or not: runs that end Failed with type RolloutFailed or
 * RolloutCancelled carry their result in the failure's details, so a caller always learns where each
 * domain stands. Other failures (bad input, package validation, ...) are rethrown.
 */
export async function rolloutResult<T>(handle: WorkflowHandle): Promise<T> {
  try {
    return (await handle.result()) as T;
  } catch (err) {
    const result = resultInFailure<T>(err);
    if (result) return result;
    throw err;
  }
}

export function resultInFailure<T>(err: unknown): T | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  const carriesResult: string[] = [FailureTypes.RolloutFailed, FailureTypes.RolloutCancelled];
  if (cause instanceof ApplicationFailure && carriesResult.includes(cause.type ?? '') && cause.details?.[0])
    return cause.details[0] as T;
  return undefined;
}

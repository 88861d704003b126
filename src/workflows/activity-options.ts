import type { ActivityOptions } from '@temporalio/workflow';

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

/** How long a polling activity over these domains may run: until the latest deadline, plus slack. */
export function latestDeadline(watching: ReadonlyArray<{ deadline: number }>): number {
  return Math.max(...watching.map((w) => w.deadline)) - Date.now() + 120_000;
}

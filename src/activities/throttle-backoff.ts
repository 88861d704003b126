/**
 * Throttled calls retry at spread-out times. Temporal's activity retry backoff has no jitter:
 * 25 runs throttled in the same second would all retry in the same second again, and again.
 * A throttled attempt therefore names its own next delay (`nextRetryDelay`): what the activity's
 * retry policy would wait, times a random factor from 0.5 to 1.5, capped by its maximum interval.
 * (The AWS SDK's own resends already use full jitter: @smithy's DefaultRetryBackoffStrategy.)
 */
import { Context } from '@temporalio/activity';
import { msOptionalToNumber } from '@temporalio/common/lib/time.js';

const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'SlowDown',
  'RequestLimitExceeded',
]);

/** AWS refused the request for its rate: nothing took effect, so nothing needs to be read back. */
export function isThrottlingCode(code: string): boolean {
  return THROTTLING_CODES.has(code);
}

/** The jittered delay before the next attempt, or undefined outside an activity. */
export function jitteredRetryDelayMs(random: () => number = Math.random): number | undefined {
  let info;
  try {
    info = Context.current().info;
  } catch {
    return undefined;
  }
  const policy = info.retryPolicy;
  const initial = msOptionalToNumber(policy?.initialInterval) ?? 1000;
  const coefficient = policy?.backoffCoefficient ?? 2;
  const maximum = msOptionalToNumber(policy?.maximumInterval) ?? initial * 100;
  const planned = Math.min(maximum, initial * coefficient ** Math.max(0, info.attempt - 1));
  return Math.max(1, Math.round(Math.min(maximum, planned * (0.5 + random()))));
}

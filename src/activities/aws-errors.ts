import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes, type AwsErrorDetails } from '../model/failures.js';
import { isThrottlingCode, jitteredRetryDelayMs } from './throttle-backoff.js';

/** What the SDK's ServiceException carries that we use; also fits network errors (no $metadata). */
interface SdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $retryable?: unknown;
  Code?: string;
}

/** Codes retrying can fix. Everything else from AWS is a decision, not a hiccup. */
const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'SlowDown',
  'RequestLimitExceeded',
  'InternalException',
  'InternalServerException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'BaseException', // OpenSearch's generic 5xx shape
  'RequestTimeout',
  'RequestTimeoutException',
  // A session that ended early: the credentials are renewed before the retry (src/aws/places.ts;
  // the default chain renews its own), so asking again is what fixes it.
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
]);

export function awsErrorCode(err: unknown): string {
  const e = err as SdkError;
  return e?.name ?? e?.Code ?? 'Error';
}

export function isAwsError(err: unknown, code: string): boolean {
  return awsErrorCode(err) === code;
}

export function awsErrorDetails(
  err: unknown,
  context: Pick<AwsErrorDetails, 'service' | 'operation'> & Partial<AwsErrorDetails>,
): AwsErrorDetails {
  const e = err as SdkError;
  return {
    ...context,
    code: awsErrorCode(err),
    message: String(e?.message ?? err),
    ...(e?.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
    ...(e?.$metadata?.httpStatusCode ? { httpStatus: e.$metadata.httpStatusCode } : {}),
  };
}

export function isRetryableAwsError(err: unknown): boolean {
  const e = err as SdkError;
  if (RETRYABLE_CODES.has(awsErrorCode(err))) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP status: the request never got an answer (connection reset, DNS, timeout).
  return true;
}

/**
 * Maps an AWS SDK error to what Temporal should do with it: retry (throttling, 5xx, network) or
 * fail for good with a stable type and AWS's code, message and request id in the details.
 */
export function toActivityFailure(
  err: unknown,
  context: Pick<AwsErrorDetails, 'service' | 'operation'> & Partial<AwsErrorDetails>,
  nonRetryableType: string = FailureTypes.AwsRequestRejected,
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const details = awsErrorDetails(err, context);
  const where = [
    details.domain && `domain ${details.domain}`,
    details.packageId && `package ${details.packageId}`,
  ]
    .filter(Boolean)
    .join(', ');
  const message = `${details.operation}${where ? ` (${where})` : ''}: ${details.code}: ${details.message}`;
  if (isRetryableAwsError(err)) {
    const delay = isThrottlingCode(details.code) ? jitteredRetryDelayMs() : undefined;
    return ApplicationFailure.create({
      message,
      type: details.code,
      details: [details],
      nonRetryable: false,
      ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
    });
  }
  return ApplicationFailure.create({
    message,
    type: nonRetryableType,
    details: [details],
    nonRetryable: true,
  });
}

import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../model/failures.js';

/**
 * Thrown by a polling activity while the resource is not ready. Temporal retries the activity on
 * its retry policy (initialInterval = poll interval, backoff 1), which records no history events
 * per attempt: a wait of hours costs the same few events as a wait of seconds. BENIGN keeps these
 * expected retries out of error logs and metrics.
 */
export function notReady(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: FailureTypes.NotReady,
    category: ApplicationFailureCategory.BENIGN,
    ...(details === undefined ? {} : { details: [details] }),
  });
}

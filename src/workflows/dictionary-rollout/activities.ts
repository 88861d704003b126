/**
 * The activities a dictionary rollout calls, and their options. Every AWS call retries throttling
 * and lost answers; the failure types below are AWS's decisions and end that call for good.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createOpenSearchPackageActivities } from '../../activities/opensearch-packages.js';
import type { createS3Activities } from '../../activities/s3.js';
import { FailureTypes } from '../../model/failures.js';
import { awsCallOptions, latestDeadline, pollingOptions } from '../activity-options.js';

/** The failure types that end a call for good (AWS's decisions, or a file that cannot be used). */
export const finalFailureTypes = [
  FailureTypes.InvalidSource,
  FailureTypes.InvalidDictionary,
  FailureTypes.AwsRequestRejected,
  FailureTypes.AssociationFailed,
  FailureTypes.PackageInUse,
  FailureTypes.DissociationFailed,
];
export const callOptions = awsCallOptions(finalFailureTypes);

/** Reading and hashing a large file takes longer than one AWS call. */
export const stagingOptions = { ...callOptions, startToCloseTimeout: '5 minutes' } as const;

/**
 * Staging heartbeats every 2 s (src/activities/s3.ts), so a worker that dies mid-staging is noticed
 * after this, not after the 5-minute start-to-close timeout. Runs started before the
 * `staging-heartbeat` patch keep the options they were recorded with (see publish.ts).
 */
export const stagingHeartbeatOptions = { ...stagingOptions, heartbeatTimeout: '10s' } as const;

/** Waits end for good on a failed package or a request AWS refused. */
function pollOptions(pollIntervalSeconds: number, timeoutMs: number) {
  return pollingOptions(pollIntervalSeconds, timeoutMs, [
    FailureTypes.PackageCopyFailed,
    FailureTypes.PackageValidationFailed,
    FailureTypes.AwsRequestRejected,
  ]);
}

/** Waiting for a package version to be AVAILABLE: read at least every 10 s, for up to 2 hours. */
export function packageWaitOptions(pollIntervalSeconds: number) {
  return pollOptions(Math.min(pollIntervalSeconds, 10), 2 * 3600_000);
}

/** Waiting for the domains of a window: every poll interval, until the latest domain's deadline. */
export function domainWaitOptions(
  pollIntervalSeconds: number,
  watching: ReadonlyArray<{ deadline: number }>,
) {
  return pollOptions(pollIntervalSeconds, latestDeadline(watching));
}

/** Staging the file in S3 (and finding a staged one again). */
export const staging = proxyActivities<ReturnType<typeof createS3Activities>>(stagingOptions);
/** OpenSearch Service package calls: packages, versions, associations. */
export const opensearchPackages =
  proxyActivities<ReturnType<typeof createOpenSearchPackageActivities>>(callOptions);

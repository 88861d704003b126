/**
 * Fleet activity proxies: the same OpenSearch and S3 activities as a single-place run, called with
 * a `place`, plus the place's copy of the staged file and its quota check. A place that cannot be
 * reached (role not assumable) ends that call at once: its PlaceUnreachable failure is non-retryable.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createFleetActivities } from '../../../activities/fleet.js';
import type { createOpenSearchPackageActivities } from '../../../activities/opensearch-packages.js';
import { awsCallOptions } from '../../activity-options.js';
import { finalFailureTypes } from '../activities.js';

/**
 * PlaceUnreachable is not among the final types: a role STS refused fails non-retryable on its own
 * (src/aws/places.ts), while a throttled or unanswered AssumeRole must be retried like any AWS call
 * (listing the type ended a whole place on one throttled STS call: found by the chaos suite).
 */
export const fleetCallOptions = awsCallOptions(finalFailureTypes);

export const fleetCalls = proxyActivities<ReturnType<typeof createFleetActivities>>(fleetCallOptions);
export const placePackages =
  proxyActivities<ReturnType<typeof createOpenSearchPackageActivities>>(fleetCallOptions);

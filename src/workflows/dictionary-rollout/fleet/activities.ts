/**
 * Fleet activity proxies: the same OpenSearch and S3 activities as a single-place run, called with
 * a `place`, plus the place's copy of the staged file and its quota check. A place that cannot be
 * reached (role not assumable) ends that call at once: PlaceUnreachable is final.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createFleetActivities } from '../../../activities/fleet.js';
import type { createOpenSearchPackageActivities } from '../../../activities/opensearch-packages.js';
import { FailureTypes } from '../../../model/failures.js';
import { awsCallOptions } from '../../activity-options.js';
import { finalFailureTypes } from '../activities.js';

export const fleetCallOptions = awsCallOptions([...finalFailureTypes, FailureTypes.PlaceUnreachable]);

export const fleetCalls = proxyActivities<ReturnType<typeof createFleetActivities>>(fleetCallOptions);
export const placePackages =
  proxyActivities<ReturnType<typeof createOpenSearchPackageActivities>>(fleetCallOptions);

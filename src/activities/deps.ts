import { ApplicationFailure } from '@temporalio/common';
import type { AwsClients } from '../aws/clients.js';
import { FailureTypes } from '../model/failures.js';
import type { Place } from '../model/place.js';
import type { DataPlaneDeps } from './opensearch-data-plane.js';

/** Everything activities need from the outside world, injected so tests and the emulator can swap it. */
export interface ActivityDeps {
  /** The worker's own Region and account (default credential chain, AWS_REGION). */
  aws: AwsClients;
  /**
   * Clients for another Region and/or account (fleet rollouts): built once per place and cached,
   * with credentials from STS AssumeRole when the place names a role. Absent: only the worker's
   * own place can be served.
   */
  awsForPlace?: (place: Place) => Promise<AwsClients>;
  /** For URL dictionary sources; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Domains' data planes (verified rollouts); SigV4-signed clients when absent. */
  dataPlane?: DataPlaneDeps;
}

/** An activity input that can name the account and Region to call (fleets); absent = the worker's own. */
export interface AtPlace {
  place?: Place;
}

/** The clients an activity uses for a target: its place's, or the worker's own when it has none. */
export async function awsClientsFor(deps: ActivityDeps, place: Place | undefined): Promise<AwsClients> {
  return place ? awsClientsAt(deps.awsForPlace, place) : deps.aws;
}

/** A place's clients; PlaceUnreachable when the worker has no clients for other places. */
export async function awsClientsAt(
  awsForPlace: ActivityDeps['awsForPlace'],
  place: Place,
): Promise<AwsClients> {
  if (!awsForPlace)
    throw ApplicationFailure.nonRetryable(
      `this worker serves only its own Region and account; it cannot reach ${place.region}${place.roleArn ? ` as ${place.roleArn}` : ''}`,
      FailureTypes.PlaceUnreachable,
    );
  return awsForPlace(place);
}

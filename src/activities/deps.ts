import type { AwsClients } from '../aws/clients.js';
import type { DataPlaneDeps } from './opensearch-data-plane.js';

/** Everything activities need from the outside world, injected so tests and the emulator can swap it. */
export interface ActivityDeps {
  aws: AwsClients;
  /** For URL dictionary sources; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Domains' data planes (verified rollouts); SigV4-signed clients when absent. */
  dataPlane?: DataPlaneDeps;
}

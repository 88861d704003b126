import type { ActivityDeps } from './deps.js';
import { createHealthGateActivities } from './health-gates.js';
import { createIotActivities } from './iot.js';
import { createOpenSearchApplicationActivities } from './opensearch-applications.js';
import { createDataPlaneClients, createOpenSearchDataPlaneActivities } from './opensearch-data-plane.js';
import { createOpenSearchDomainActivities } from './opensearch-domains.js';
import { createOpenSearchPackageActivities } from './opensearch-packages.js';
import { createOpenSearchPluginActivities } from './opensearch-plugins.js';
import { createS3Activities } from './s3.js';
import { createFleetActivities } from './fleet.js';

/**
 * Every activity the worker registers, built from injected clients (samples-typescript's
 * `createActivities(deps)` habit). Workflows type their proxies from `ReturnType<...>` of the
 * per-service factories, so an activity's signature is checked at both ends.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createS3Activities(deps),
    ...createOpenSearchPackageActivities(deps),
    ...createOpenSearchApplicationActivities(deps),
    ...createIotActivities(deps),
    ...createOpenSearchDomainActivities(deps),
    ...createOpenSearchDataPlaneActivities(
      deps.dataPlane ?? createDataPlaneClients({ signing: 'sigv4' }),
      deps.awsForPlace,
    ),
    ...createHealthGateActivities(deps),
    ...createOpenSearchPluginActivities(deps),
    ...createFleetActivities(deps),
  };
}
export type Activities = ReturnType<typeof createActivities>;

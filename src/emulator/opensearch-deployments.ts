import { randomUUID } from 'node:crypto';
import { AwsError, validation } from './errors.js';
import type { Domain } from './opensearch-domains.js';
import type { Package } from './opensearch-packages.js';
import { epochSeconds, type JsonObject } from './service.js';

/**
 * Blue/green deployments of a domain, as associating or dissociating plugin packages starts them
 * (ZIP-PLUGIN, PACKAGE-LICENSE, PACKAGE-CONFIG; a TXT-DICTIONARY association is no configuration
 * change). While one runs the domain reports `Processing: true`, `DomainProcessingStatus:
 * "Modifying"` and `ChangeProgressDetails`, DescribeDomainChangeProgress walks through its stages,
 * and the domain refuses a second configuration change. Like every other status of the emulator,
 * a deployment's stage is computed from timestamps on the emulator clock when it is read.
 */

/** Package types whose association is a configuration change of the domain (a blue/green deployment). */
export const PLUGIN_PACKAGE_TYPES = new Set(['ZIP-PLUGIN', 'PACKAGE-LICENSE', 'PACKAGE-CONFIG']);

export interface ConfigChange {
  changeId: string;
  startedAt: number;
  endsAt: number;
  /** What the change is about, e.g. `Packages (associate F1, F2)`. */
  properties: string[];
}

/** Stage names modelled on those the developer guide lists for a blue/green deployment. */
const STAGES = [
  { name: 'Validation', description: 'Validating the configuration change' },
  { name: 'Creating a new environment', description: 'Provisioning the new (green) nodes' },
  { name: 'Copying shards to new nodes', description: 'Moving the data to the new environment' },
  { name: 'Deleting older resources', description: 'Removing the old (blue) nodes' },
] as const;

export function changeRunning(domain: Domain, now: number): ConfigChange | undefined {
  return domain.change && now < domain.change.endsAt ? domain.change : undefined;
}

/**
 * The domain accepts no configuration change while one runs (the second call is refused, as AWS
 * refuses a configuration update during a blue/green deployment).
 */
export function refuseWhileChanging(domain: Domain, now: number): void {
  const running = changeRunning(domain, now);
  if (running)
    throw new AwsError(
      'ConflictException',
      409,
      `Domain ${domain.name} has a configuration change in progress (change ${running.changeId}); wait until it completes`,
    );
}

/** A ZIP-PLUGIN targets one engine version; a domain on another version cannot take it. */
export function requireSameEngine(pkg: Package, domain: Domain): void {
  if (
    pkg.type === 'ZIP-PLUGIN' &&
    pkg.engineVersion !== undefined &&
    pkg.engineVersion !== domain.engineVersion
  )
    throw validation(
      `Package ${pkg.id} is built for ${pkg.engineVersion}, but domain ${domain.name} runs ${domain.engineVersion}`,
    );
}

export function startChange(
  domain: Domain,
  now: number,
  durationMs: number,
  properties: string[],
): ConfigChange {
  const change: ConfigChange = {
    changeId: randomUUID(),
    startedAt: now,
    endsAt: now + durationMs,
    properties,
  };
  domain.change = change;
  return change;
}

/** DomainStatus members while (and after) a change: Processing, DomainProcessingStatus, ChangeProgressDetails. */
export function changeStatusMembers(domain: Domain, now: number): JsonObject | undefined {
  const change = domain.change;
  if (!change) return undefined;
  const running = now < change.endsAt;
  return {
    ...(running ? { Processing: true, DomainProcessingStatus: 'Modifying' } : {}),
    ChangeProgressDetails: {
      ChangeId: change.changeId,
      ConfigChangeStatus: running ? 'ApplyingChanges' : 'Completed',
      InitiatedBy: 'CUSTOMER',
      StartTime: epochSeconds(change.startedAt),
      LastUpdatedTime: epochSeconds(Math.min(now, change.endsAt)),
      Message: running ? 'A blue/green deployment is in progress' : 'The configuration change completed',
    },
  };
}

/** DescribeDomainChangeProgress: the most recent change (or the one named by changeid). */
export function changeProgress(domain: Domain, now: number, changeId: string | undefined): JsonObject {
  const change = domain.change;
  if (!change || (changeId !== undefined && changeId !== change.changeId)) {
    if (changeId !== undefined)
      throw new AwsError(
        'ResourceNotFoundException',
        409,
        `Change ${changeId} not found for domain ${domain.name}`,
      );
    return {};
  }
  const span = Math.max(change.endsAt - change.startedAt, 1);
  const done =
    now >= change.endsAt ? STAGES.length : Math.floor(((now - change.startedAt) / span) * STAGES.length);
  const running = now < change.endsAt;
  return {
    ChangeProgressStatus: {
      ChangeId: change.changeId,
      StartTime: epochSeconds(change.startedAt),
      Status: running ? 'PROCESSING' : 'COMPLETED',
      PendingProperties: running ? change.properties : [],
      CompletedProperties: running ? [] : change.properties,
      TotalNumberOfStages: STAGES.length,
      ChangeProgressStages: STAGES.map((stage, i) => ({
        Name: stage.name,
        Description: stage.description,
        Status: i < done ? 'COMPLETED' : i === done ? 'IN_PROGRESS' : 'PENDING',
        LastUpdated: epochSeconds(
          Math.min(now, change.startedAt + Math.round((span * Math.min(i + 1, done)) / STAGES.length)),
        ),
      })),
      LastUpdatedTime: epochSeconds(Math.min(now, change.endsAt)),
      ConfigChangeStatus: running ? 'ApplyingChanges' : 'Completed',
      InitiatedBy: 'CUSTOMER',
    },
  };
}

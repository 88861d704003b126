import { AwsError, validation } from './errors.js';
import type { Association, Domain, DomainStore } from './opensearch-domains.js';
import {
  PLUGIN_PACKAGE_TYPES,
  refuseWhileChanging,
  requireSameEngine,
  startChange,
  type ConfigChange,
} from './opensearch-deployments.js';
import { availableVersionOf, packageStatus, type Package, type PackageStore } from './opensearch-packages.js';
import { paginate } from './pagination.js';
import { epochSeconds, jsonBody, type JsonObject, type ServiceRequest } from './service.js';
import type { Durations } from './types.js';
import { optionalInteger, requiredString } from './validation.js';

/**
 * Package associations: a domain's row for a package goes ASSOCIATING -> ACTIVE |
 * ASSOCIATION_FAILED, and on dissociation DISSOCIATING -> gone | DISSOCIATION_FAILED, each when its
 * settling time has passed on the emulator clock. Rows live on the domain (Domain.associations);
 * the package keeps the reverse index (Package.domains). Rows whose dissociation completed are
 * dropped lazily, by whoever reads them next.
 */

/** Not adjustable in AWS. */
export const MAX_PACKAGES_PER_DOMAIN = 20;

export type RowStatus =
  'ASSOCIATING' | 'ACTIVE' | 'ASSOCIATION_FAILED' | 'DISSOCIATING' | 'DISSOCIATION_FAILED' | 'GONE';

export class AssociationStore {
  constructor(
    private readonly domains: DomainStore,
    private readonly packages: PackageStore,
    private readonly env: { durations: () => Durations },
  ) {}

  /**
   * `bulk`: the call is one package of an AssociatePackages list — prerequisites may come with it
   * in the same list, and a plugin's blue/green deployment is one for the whole list.
   */
  associatePackage(req: ServiceRequest, bulk?: BulkCall): JsonObject {
    const pkg = this.packages.requirePackage(req.params.PackageID ?? '', req);
    const domain = this.domains.requireDomain(req);
    const body = jsonBody(req);
    const now = req.now;
    const status = packageStatus(pkg, now);
    if (status !== 'AVAILABLE') {
      // Not ConflictException: callers rightly read "already in desired state" conflicts as success.
      throw validation(`Package ${pkg.id} is ${status}; only an AVAILABLE package can be associated`);
    }
    const prerequisites = body.PrerequisitePackageIDList;
    if (Array.isArray(prerequisites)) {
      for (const prerequisite of prerequisites) {
        if (bulk?.packageIds.has(String(prerequisite))) continue; // associated with it, in this call
        const row = domain.associations.get(String(prerequisite));
        if (!row || rowStatus(row, now) !== 'ACTIVE') {
          throw validation(
            `Prerequisite package ${String(prerequisite)} is not associated with ${domain.name}`,
          );
        }
      }
    }
    const target = availableVersionOf(pkg, now)!;
    this.purgeGoneRows(domain, now);
    const existing = domain.associations.get(pkg.id);
    if (existing) {
      const existingStatus = rowStatus(existing, now);
      if (existingStatus === 'ASSOCIATING' || existingStatus === 'DISSOCIATING') {
        throw new AwsError(
          'ConflictException',
          409,
          `Package ${pkg.id} is ${existingStatus} on domain ${domain.name}; wait for that operation to finish`,
        );
      }
      if (
        (existingStatus === 'ACTIVE' || existingStatus === 'DISSOCIATION_FAILED') &&
        existing.version === target
      ) {
        throw new AwsError('ConflictException', 409, 'Package is already in desired state');
      }
    } else if (domain.associations.size >= MAX_PACKAGES_PER_DOMAIN) {
      throw new AwsError(
        'LimitExceededException',
        409,
        `Domain ${domain.name} already has the maximum of ${MAX_PACKAGES_PER_DOMAIN} packages associated`,
      );
    }
    const plugin = PLUGIN_PACKAGE_TYPES.has(pkg.type);
    if (plugin) requireSameEngine(pkg, domain);
    const durationMs = plugin
      ? this.pluginChange(domain, now, bulk, `associate ${pkg.id}`)
      : (domain.settings.associationMs ?? this.env.durations().associationMs);
    const row: Association = {
      packageId: pkg.id,
      version: target,
      ...(Array.isArray(prerequisites) ? { prerequisites: prerequisites.map(String) } : {}),
      requestedAt: now,
      settledAt: now + durationMs,
      ...(domain.settings.failAssociation !== undefined
        ? { failMessage: domain.settings.failAssociation }
        : {}),
    };
    domain.associations.set(pkg.id, row);
    pkg.domains.add(domain.name);
    return { DomainPackageDetails: rowDetails(pkg, domain, row, now) };
  }

  dissociatePackage(req: ServiceRequest, bulk?: BulkCall): JsonObject {
    const pkg = this.packages.requirePackage(req.params.PackageID ?? '', req);
    const domain = this.domains.requireDomain(req);
    const now = req.now;
    this.purgeGoneRows(domain, now);
    const row = domain.associations.get(pkg.id);
    if (!row) {
      throw new AwsError(
        'ResourceNotFoundException',
        409,
        `Package ${pkg.id} is not associated with domain ${domain.name}`,
      );
    }
    const status = rowStatus(row, now);
    if (status === 'ASSOCIATING' || status === 'DISSOCIATING') {
      throw new AwsError(
        'ConflictException',
        409,
        `Package ${pkg.id} is ${status} on domain ${domain.name}; wait for that operation to finish`,
      );
    }
    if (domain.settings.indexesUsingPackages.has(pkg.id)) {
      throw new AwsError(
        'ConflictException',
        409,
        `Package ${pkg.id} is in use by one or more indexes on domain ${domain.name}. Move the indexes off the package before dissociating it`,
      );
    }
    const durationMs = PLUGIN_PACKAGE_TYPES.has(pkg.type)
      ? this.pluginChange(domain, now, bulk, `dissociate ${pkg.id}`)
      : (domain.settings.dissociationMs ?? this.env.durations().dissociationMs);
    row.dissociation = {
      requestedAt: now,
      settledAt: now + durationMs,
      ...(domain.settings.failDissociation !== undefined
        ? { failMessage: domain.settings.failDissociation }
        : {}),
    };
    // The response says DISSOCIATING even when the row is already gone (zero duration).
    const details = rowDetails(pkg, domain, row, now, 'DISSOCIATING');
    this.purgeGoneRows(domain, now);
    return { DomainPackageDetails: details };
  }

  /**
   * AssociatePackages: AssociatePackage for each package of the list on one domain, in order. The
   * first refusal answers the call; the associations started before it stand.
   */
  associatePackages(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const domainName = requiredString(body.DomainName, 'domainName');
    const list = body.PackageList;
    if (!Array.isArray(list)) throw validation('PackageList must be a list');
    const items = list.map((raw: unknown, index) => {
      const item = (raw ?? {}) as JsonObject;
      return {
        packageId: requiredString(item.PackageID, `packageList.${index + 1}.member.packageID`),
        prerequisites: item.PrerequisitePackageIDList,
        configuration: item.AssociationConfiguration,
      };
    });
    const bulk: BulkCall = { packageIds: new Set(items.map((i) => i.packageId)) };
    this.checkBundle(req, domainName, items, bulk);
    const details = items.map((item) => {
      const single = subRequest(req, item.packageId, domainName, {
        PrerequisitePackageIDList: item.prerequisites,
      });
      const answer = this.associatePackage(single, bulk).DomainPackageDetails as JsonObject;
      return {
        ...answer,
        ...(item.configuration !== undefined ? { AssociationConfiguration: item.configuration } : {}),
      };
    });
    return { DomainPackageDetailsList: details };
  }

  /** DissociatePackages: DissociatePackage for each package id of the list, in order, as above. */
  dissociatePackages(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const domainName = requiredString(body.DomainName, 'domainName');
    const list = body.PackageList;
    if (!Array.isArray(list)) throw validation('PackageList must be a list');
    const ids = list.map((id: unknown, index) => requiredString(id, `packageList.${index + 1}.member`));
    const bulk: BulkCall = { packageIds: new Set(ids) };
    return {
      DomainPackageDetailsList: ids.map(
        (packageId) =>
          this.dissociatePackage(subRequest(req, packageId, domainName, {}), bulk).DomainPackageDetails,
      ),
    };
  }

  /**
   * AssociatePackages checks the whole list before it changes anything: every prerequisite is
   * associated or in the list, every ZIP-PLUGIN fits the domain's engine version, and a plugin
   * whose PackageConfiguration makes a license (configuration) REQUIRED comes with a
   * PACKAGE-LICENSE (PACKAGE-CONFIG) package, in the list or already on the domain.
   */
  private checkBundle(
    req: ServiceRequest,
    domainName: string,
    items: Array<{ packageId: string; prerequisites: unknown }>,
    bulk: BulkCall,
  ): void {
    const domain = this.domains.requireDomain({ ...req, params: { DomainName: domainName }, resource: {} });
    const packages = items.map((i) => this.packages.requirePackage(i.packageId));
    const present = new Set([...bulk.packageIds, ...domain.associations.keys()]);
    const typesPresent = new Set(
      [...present].map((id) => this.packages.byId.get(id)?.type).filter((t) => t !== undefined),
    );
    items.forEach((item, index) => {
      const pkg = packages[index]!;
      if (Array.isArray(item.prerequisites))
        for (const prerequisite of item.prerequisites)
          if (!present.has(String(prerequisite)))
            throw validation(
              `Prerequisite package ${String(prerequisite)} of ${pkg.id} is neither associated with ${domainName} nor in this request`,
            );
      if (PLUGIN_PACKAGE_TYPES.has(pkg.type)) requireSameEngine(pkg, domain);
      const needs = pkg.configuration;
      if (needs?.LicenseRequirement === 'REQUIRED' && !typesPresent.has('PACKAGE-LICENSE'))
        throw validation(`Package ${pkg.id} requires a license: associate a PACKAGE-LICENSE package with it`);
      if (needs?.ConfigurationRequirement === 'REQUIRED' && !typesPresent.has('PACKAGE-CONFIG'))
        throw validation(
          `Package ${pkg.id} requires a configuration: associate a PACKAGE-CONFIG package with it`,
        );
    });
    if (packages.some((p) => PLUGIN_PACKAGE_TYPES.has(p.type))) refuseWhileChanging(domain, req.now);
  }

  /**
   * A plugin package's association or dissociation is a configuration change of the domain: the
   * first of a call starts the blue/green deployment (refused while another runs); the others of
   * the same call join it. Returns how long the row takes to settle: until the deployment ends.
   */
  private pluginChange(domain: Domain, now: number, bulk: BulkCall | undefined, what: string): number {
    if (bulk?.change) {
      bulk.change.properties.push(what);
      return bulk.change.endsAt - now;
    }
    refuseWhileChanging(domain, now);
    const change = startChange(domain, now, this.env.durations().blueGreenMs, [what]);
    if (bulk) bulk.change = change;
    return change.endsAt - now;
  }

  listDomainsForPackage(req: ServiceRequest): JsonObject {
    const pkg = this.packages.requirePackage(req.params.PackageID ?? '', req);
    const maxResults =
      optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = req.query.get('nextToken') ?? undefined;
    const names = this.liveDomainsOf(pkg, req.now).sort();
    const { page, nextToken: next } = paginate(names, (n) => n, maxResults, nextToken);
    return {
      DomainPackageDetailsList: page.map((name) => {
        const domain = this.domains.byName.get(name)!;
        return rowDetails(pkg, domain, domain.associations.get(pkg.id)!, req.now);
      }),
      ...(next ? { NextToken: next } : {}),
    };
  }

  listPackagesForDomain(req: ServiceRequest): JsonObject {
    const domain = this.domains.requireDomain(req);
    const maxResults =
      optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = req.query.get('nextToken') ?? undefined;
    this.purgeGoneRows(domain, req.now);
    const ids = [...domain.associations.keys()].sort();
    const { page, nextToken: next } = paginate(ids, (id) => id, maxResults, nextToken);
    return {
      DomainPackageDetailsList: page.map((id) =>
        rowDetails(this.packages.byId.get(id)!, domain, domain.associations.get(id)!, req.now),
      ),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** Domains still holding a row for the package, after dropping rows whose dissociation completed. */
  liveDomainsOf(pkg: Package, now: number): string[] {
    const live: string[] = [];
    for (const name of pkg.domains) {
      const domain = this.domains.byName.get(name);
      const row = domain?.associations.get(pkg.id);
      if (!domain || !row) {
        pkg.domains.delete(name);
      } else if (rowStatus(row, now) === 'GONE') {
        domain.associations.delete(pkg.id);
        pkg.domains.delete(name);
      } else {
        live.push(name);
      }
    }
    return live;
  }

  purgeGoneRows(domain: Domain, now: number): void {
    for (const [packageId, row] of domain.associations) {
      if (rowStatus(row, now) === 'GONE') {
        domain.associations.delete(packageId);
        this.packages.byId.get(packageId)?.domains.delete(domain.name);
      }
    }
  }

  /** A domain about to be deleted: its rows leave the packages' reverse index. */
  forgetDomain(domain: Domain): void {
    for (const packageId of domain.associations.keys())
      this.packages.byId.get(packageId)?.domains.delete(domain.name);
  }
}

/** The packages of one AssociatePackages / DissociatePackages call, and the deployment it started. */
interface BulkCall {
  packageIds: Set<string>;
  change?: ConfigChange;
}

/** One package of a bulk call as its single-package request; the call log keeps the domain. */
function subRequest(
  req: ServiceRequest,
  packageId: string,
  domainName: string,
  body: JsonObject,
): ServiceRequest {
  req.resource.domainName = domainName;
  return {
    ...req,
    params: { PackageID: packageId, DomainName: domainName },
    body: Buffer.from(JSON.stringify(body)),
    resource: {},
  };
}

/** What AssociatePackage answers as ReferencePath, and analyzers name as synonyms_path. */
export const referencePath = (packageId: string): string => `analyzers/${packageId}`;

export function rowStatus(row: Association, now: number): RowStatus {
  if (row.dissociation) {
    if (now < row.dissociation.settledAt) return 'DISSOCIATING';
    return row.dissociation.failMessage !== undefined ? 'DISSOCIATION_FAILED' : 'GONE';
  }
  if (now < row.settledAt) return 'ASSOCIATING';
  return row.failMessage !== undefined ? 'ASSOCIATION_FAILED' : 'ACTIVE';
}

export function rowDetails(
  pkg: Package,
  domain: Domain,
  row: Association,
  now: number,
  statusOverride?: RowStatus,
): JsonObject {
  const status = statusOverride ?? rowStatus(row, now);
  const phase = row.dissociation ?? row;
  const lastUpdated =
    phase.settledAt <= now && status !== 'DISSOCIATING' ? phase.settledAt : phase.requestedAt;
  const errorDetails =
    status === 'ASSOCIATION_FAILED'
      ? { ErrorType: 'AssociationFailed', ErrorMessage: row.failMessage ?? '' }
      : status === 'DISSOCIATION_FAILED'
        ? { ErrorType: 'DissociationFailed', ErrorMessage: row.dissociation?.failMessage ?? '' }
        : undefined;
  return {
    PackageID: pkg.id,
    PackageName: pkg.name,
    PackageType: pkg.type,
    LastUpdated: epochSeconds(lastUpdated),
    DomainName: domain.name,
    DomainPackageStatus: status,
    PackageVersion: row.version,
    ReferencePath: referencePath(pkg.id),
    ...(row.prerequisites?.length ? { PrerequisitePackageIDList: row.prerequisites } : {}),
    ...(errorDetails ? { ErrorDetails: errorDetails } : {}),
  };
}

import { rowDetails, type AssociationStore } from './opensearch-associations.js';
import type { Association, Domain, DomainSettings, DomainStore } from './opensearch-domains.js';
import {
  availableVersionOf,
  packageErrorDetails,
  packageLastUpdated,
  packageStatus,
  type Package,
  type PackageStore,
} from './opensearch-packages.js';
import type { SavedApplications } from './opensearch-applications.js';
import type { DomainBackings } from './opensearch-backing.js';
import type { AssociationSnapshot, DomainSnapshot, ErrorDetailsSnapshot, PackageSnapshot } from './types.js';

/**
 * The OpenSearch half of the emulator's state: as the control API shows it (snapshot, ISO dates,
 * statuses as of now) and as the state file keeps it (save / restore, raw timestamps).
 */

export interface SavedOpenSearch {
  domains: Array<
    Omit<Domain, 'settings' | 'associations'> & {
      settings: Omit<DomainSettings, 'indexesUsingPackages'> & { indexesUsingPackages: string[] };
      associations: Association[];
    }
  >;
  packages: Array<Omit<Package, 'domains'>>;
  /** sha256 -> base64 of the uploaded bytes (absent in state saved before backed domains). */
  contents?: Record<string, string>;
  applications: SavedApplications;
  sequence: number;
}

interface Stores {
  domains: DomainStore;
  packages: PackageStore;
  associations: AssociationStore;
  backings: DomainBackings;
}

export function snapshotOpenSearch(
  { domains, packages, associations, backings }: Stores,
  now: number,
): { domains: DomainSnapshot[]; packages: PackageSnapshot[] } {
  packages.purgeDeletedPackages(now);
  const domainSnapshots: DomainSnapshot[] = [];
  for (const domain of domains.byName.values()) {
    associations.purgeGoneRows(domain, now);
    const rows: AssociationSnapshot[] = [];
    for (const row of domain.associations.values()) {
      const pkg = packages.byId.get(row.packageId);
      if (!pkg) continue;
      const details = rowDetails(pkg, domain, row, now);
      rows.push({
        packageId: pkg.id,
        packageName: pkg.name,
        domainName: domain.name,
        status: details.DomainPackageStatus as string,
        packageVersion: row.version,
        referencePath: details.ReferencePath as string,
        lastUpdated: new Date((details.LastUpdated as number) * 1000).toISOString(),
        ...(details.ErrorDetails ? { errorDetails: details.ErrorDetails as ErrorDetailsSnapshot } : {}),
      });
    }
    const s = domain.settings;
    domainSnapshots.push({
      name: domain.name,
      domainId: domain.domainId,
      arn: domain.arn,
      engineVersion: domain.engineVersion,
      processing: now < domain.readyAt,
      createdAt: new Date(domain.createdAt).toISOString(),
      configuration: {
        ...(s.associationMs !== undefined ? { associationMs: s.associationMs } : {}),
        ...(s.dissociationMs !== undefined ? { dissociationMs: s.dissociationMs } : {}),
        ...(s.failAssociation !== undefined ? { failAssociation: s.failAssociation } : {}),
        ...(s.failDissociation !== undefined ? { failDissociation: s.failDissociation } : {}),
        indexesUsingPackages: [...s.indexesUsingPackages],
        ...(backings.get(domain.name) ? { backing: backings.get(domain.name) } : {}),
      },
      associations: rows,
    });
  }
  const packageSnapshots: PackageSnapshot[] = [...packages.byId.values()].map((pkg) => {
    const status = packageStatus(pkg, now);
    const availableVersion = availableVersionOf(pkg, now);
    const errorDetails = packageErrorDetails(pkg, now);
    return {
      id: pkg.id,
      name: pkg.name,
      type: pkg.type,
      status,
      ...(pkg.description !== undefined ? { description: pkg.description } : {}),
      ...(pkg.engineVersion !== undefined ? { engineVersion: pkg.engineVersion } : {}),
      ...(availableVersion !== undefined ? { availableVersion } : {}),
      createdAt: new Date(pkg.createdAt).toISOString(),
      lastUpdatedAt: new Date(packageLastUpdated(pkg, now)).toISOString(),
      ...(errorDetails ? { errorDetails } : {}),
      versions: pkg.uploads.map((u) => ({
        version: u.version,
        state: u.failure
          ? now >= (u.failure.stage === 'copy' ? u.copiedAt : u.validatedAt)
            ? ('failed' as const)
            : ('pending' as const)
          : u.validatedAt <= now
            ? ('available' as const)
            : ('pending' as const),
        ...(u.commitMessage !== undefined ? { commitMessage: u.commitMessage } : {}),
        createdAt: new Date(u.startedAt).toISOString(),
        source: u.source,
        ...(u.size !== undefined ? { size: u.size } : {}),
        ...(u.sha256 !== undefined ? { sha256: u.sha256 } : {}),
        ...(u.failure && now >= (u.failure.stage === 'copy' ? u.copiedAt : u.validatedAt)
          ? { errorDetails: { ErrorType: u.failure.errorType, ErrorMessage: u.failure.errorMessage } }
          : {}),
      })),
      domains: associations.liveDomainsOf(pkg, now).sort(),
    };
  });
  return { domains: domainSnapshots, packages: packageSnapshots };
}

export function saveOpenSearch(
  { domains, packages }: Omit<Stores, 'associations' | 'backings'>,
  applications: SavedApplications,
): SavedOpenSearch {
  return {
    domains: [...domains.byName.values()].map((d) => ({
      ...d,
      settings: { ...d.settings, indexesUsingPackages: [...d.settings.indexesUsingPackages] },
      associations: [...d.associations.values()],
    })),
    packages: [...packages.byId.values()].map(({ domains: _domains, ...pkg }) => pkg),
    contents: Object.fromEntries(
      [...packages.contents].map(([sha, bytes]) => [sha, bytes.toString('base64')]),
    ),
    applications,
    sequence: packages.sequence,
  };
}

/** Into stores that have just been reset. */
export function restoreOpenSearch(
  { domains, packages }: Omit<Stores, 'associations' | 'backings'>,
  saved: SavedOpenSearch,
): void {
  for (const p of saved.packages) packages.restorePackage({ ...p, domains: new Set() });
  for (const [sha, base64] of Object.entries(saved.contents ?? {}))
    packages.contents.set(sha, Buffer.from(base64, 'base64'));
  for (const d of saved.domains) {
    const domain: Domain = {
      ...d,
      settings: { ...d.settings, indexesUsingPackages: new Set(d.settings.indexesUsingPackages) },
      associations: new Map(d.associations.map((a) => [a.packageId, a])),
    };
    domains.byName.set(domain.name, domain);
    for (const packageId of domain.associations.keys())
      packages.byId.get(packageId)?.domains.add(domain.name);
  }
  packages.sequence = saved.sequence;
}

import { AwsError } from './errors.js';
import { ApplicationsStore } from './opensearch-applications.js';
import { AssociationStore } from './opensearch-associations.js';
import { DomainBackings } from './opensearch-backing.js';
import { DomainStore } from './opensearch-domains.js';
import { PackageStore } from './opensearch-packages.js';
import {
  restoreOpenSearch,
  saveOpenSearch,
  snapshotOpenSearch,
  type SavedOpenSearch,
} from './opensearch-snapshot.js';
import { Router, type RouteSpec } from './routes.js';
import type { S3Service } from './s3.js';
import type { JsonObject, ServiceRequest } from './service.js';
import type { DomainConfiguration, DomainSnapshot, Durations, PackageSnapshot } from './types.js';

/**
 * Amazon OpenSearch Service: the routes and the service that dispatches them to its parts —
 * domains (opensearch-domains.ts), custom packages (opensearch-packages.ts) and their
 * associations (opensearch-associations.ts), applications and data source attachments
 * (opensearch-applications.ts); state dumps in opensearch-snapshot.ts.
 *
 * Every status is computed from timestamps on the emulator clock when it is read: a package
 * upload records when its copy and validation end, an association when it settles. No timers,
 * so a thousand idle domains cost nothing, and advancing the clock moves them all at once.
 */

type Row = [method: string, path: string, operation: string, mutating: boolean];

/** Rows under `/<apiVersion>`, as the service model binds them. */
const routes = (apiVersion: string, rows: Row[]): RouteSpec[] =>
  rows.map(([method, path, operation, mutating]) => ({
    method,
    path: `/${apiVersion}${path}`,
    operation,
    mutating,
    apiVersion,
  }));

/** The package operations: the same routes under both API versions (shapes differ, see packageDetails). */
const PACKAGE_ROWS: Row[] = [
  ['POST', '/packages', 'CreatePackage', true],
  ['POST', '/packages/update', 'UpdatePackage', true],
  ['POST', '/packages/describe', 'DescribePackages', false],
  ['DELETE', '/packages/{PackageID}', 'DeletePackage', true],
  ['POST', '/packages/associate/{PackageID}/{DomainName}', 'AssociatePackage', true],
  ['POST', '/packages/dissociate/{PackageID}/{DomainName}', 'DissociatePackage', true],
  ['GET', '/packages/{PackageID}/domains', 'ListDomainsForPackage', false],
  ['GET', '/domain/{DomainName}/packages', 'ListPackagesForDomain', false],
  ['GET', '/packages/{PackageID}/history', 'GetPackageVersionHistory', false],
  ['GET', '/domain', 'ListDomainNames', false],
];

export const OPENSEARCH_ROUTES: RouteSpec[] = [
  ...routes('2021-01-01', [
    ...PACKAGE_ROWS,
    ['POST', '/packages/associateMultiple', 'AssociatePackages', true],
    ['POST', '/packages/dissociateMultiple', 'DissociatePackages', true],
    ['POST', '/opensearch/domain', 'CreateDomain', true],
    ['GET', '/opensearch/domain/{DomainName}', 'DescribeDomain', false],
    ['DELETE', '/opensearch/domain/{DomainName}', 'DeleteDomain', true],
    ['POST', '/opensearch/domain-info', 'DescribeDomains', false],
    ['GET', '/opensearch/domain/{DomainName}/progress', 'DescribeDomainChangeProgress', false],
    ['POST', '/opensearch/application', 'CreateApplication', true],
    ['GET', '/opensearch/application/{id}', 'GetApplication', false],
    ['DELETE', '/opensearch/application/{id}', 'DeleteApplication', true],
    ['GET', '/opensearch/list-applications', 'ListApplications', false],
    ['POST', '/opensearch/application/{id}/attachDataSource', 'AttachDataSource', true],
    [
      'POST',
      '/opensearch/application/{id}/describeDataSourceAttachment',
      'DescribeDataSourceAttachment',
      false,
    ],
    ['POST', '/opensearch/application/{id}/detachDataSource', 'DetachDataSource', true],
    ['POST', '/opensearch/application/{id}/listDataSourceAttachments', 'ListDataSourceAttachments', false],
  ]),
  // The legacy Elasticsearch Service API: packages as above, domains under their own names.
  ...routes('2015-01-01', [
    ...PACKAGE_ROWS,
    ['POST', '/es/domain', 'CreateElasticsearchDomain', true],
    ['GET', '/es/domain/{DomainName}', 'DescribeElasticsearchDomain', false],
    ['DELETE', '/es/domain/{DomainName}', 'DeleteElasticsearchDomain', true],
    ['POST', '/es/domain-info', 'DescribeElasticsearchDomains', false],
  ]),
];

export class OpenSearchService {
  readonly router = new Router('es', OPENSEARCH_ROUTES);
  readonly domains: DomainStore;
  readonly packages: PackageStore;
  readonly associations: AssociationStore;
  readonly applications: ApplicationsStore;
  readonly backings = new DomainBackings();

  constructor(env: { region: string; accountId: string; durations: () => Durations; s3: S3Service }) {
    this.domains = new DomainStore({ ...env, backing: (name) => this.backings.get(name) });
    this.packages = new PackageStore(env);
    this.associations = new AssociationStore(this.domains, this.packages, env);
    this.applications = new ApplicationsStore(env, {
      domainReadyAt: (arn) => this.domains.byName.get(this.domains.domainNameFromArn(arn) ?? '')?.readyAt,
      isOwnDomainArn: (arn) => this.domains.domainNameFromArn(arn) !== undefined,
    });
  }

  reset(): void {
    this.backings.reset();
    this.domains.reset();
    this.packages.reset();
    this.applications.reset();
  }

  handle(req: ServiceRequest): JsonObject {
    this.packages.purgeDeletedPackages(req.now);
    try {
      return this.dispatch(req);
    } finally {
      // Before the answer leaves: a row it shows ACTIVE (moved by the clock, at once with zero
      // association time, or as "already in desired state") has its file on the backing node.
      this.syncBackings(req.now);
    }
  }

  private dispatch(req: ServiceRequest): JsonObject {
    switch (req.operation) {
      case 'CreateDomain':
      case 'CreateElasticsearchDomain':
        return this.domains.createDomain(req);
      case 'DescribeDomain':
      case 'DescribeElasticsearchDomain':
        return this.domains.describeDomain(req);
      case 'DescribeDomains':
      case 'DescribeElasticsearchDomains':
        return this.domains.describeDomains(req);
      case 'DeleteDomain':
      case 'DeleteElasticsearchDomain':
        return this.deleteDomain(req);
      case 'DescribeDomainChangeProgress':
        return this.domains.describeDomainChangeProgress(req);
      case 'ListDomainNames':
        return this.domains.listDomainNames(req);
      case 'CreatePackage':
        return this.packages.createPackage(req);
      case 'UpdatePackage':
        return this.packages.updatePackage(req);
      case 'DescribePackages':
        return this.packages.describePackages(req);
      case 'DeletePackage':
        return this.packages.deletePackage(req, (pkg) => this.associations.liveDomainsOf(pkg, req.now));
      case 'AssociatePackage':
        return this.associations.associatePackage(req);
      case 'DissociatePackage':
        return this.associations.dissociatePackage(req);
      case 'AssociatePackages':
        return this.associations.associatePackages(req);
      case 'DissociatePackages':
        return this.associations.dissociatePackages(req);
      case 'ListDomainsForPackage':
        return this.associations.listDomainsForPackage(req);
      case 'ListPackagesForDomain':
        return this.associations.listPackagesForDomain(req);
      case 'GetPackageVersionHistory':
        return this.packages.getPackageVersionHistory(req);
      case 'CreateApplication':
        return this.applications.createApplication(req);
      case 'GetApplication':
        return this.applications.getApplication(req);
      case 'DeleteApplication':
        return this.applications.deleteApplication(req);
      case 'ListApplications':
        return this.applications.listApplications(req);
      case 'AttachDataSource':
        return this.applications.attachDataSource(req);
      case 'DescribeDataSourceAttachment':
        return this.applications.describeDataSourceAttachment(req);
      case 'DetachDataSource':
        return this.applications.detachDataSource(req);
      case 'ListDataSourceAttachments':
        return this.applications.listDataSourceAttachments(req);
      default:
        throw new AwsError('UnknownOperationException', 404, `Unknown operation ${req.operation}`);
    }
  }

  private deleteDomain(req: ServiceRequest): JsonObject {
    const domain = this.domains.requireDomain(req);
    // Attachments to this domain are judged by what was true until now, before it disappears.
    this.applications.settleDataSource(domain.arn, req.now);
    this.associations.forgetDomain(domain);
    return this.domains.deleteDomain(domain, req);
  }

  /** Domains created by the control API are ready at once: tests start from a running fleet. */
  seedDomains(domains: Array<{ name: string; engineVersion?: string }>, now: number): string[] {
    return this.domains.seedDomains(domains, now);
  }

  configureDomain(name: string, change: DomainConfiguration): boolean {
    if (!this.domains.configureDomain(name, change)) return false;
    if (change.backing !== undefined) this.backings.set(name, change.backing);
    return true;
  }

  /** Backed domains' node files up to date with the rows as of `now` (cheap when none is backed). */
  syncBackings(now: number): void {
    this.backings.sync(this.domains, this.packages, now);
  }

  snapshot(now: number): { domains: DomainSnapshot[]; packages: PackageSnapshot[] } {
    this.syncBackings(now);
    return snapshotOpenSearch(this, now);
  }

  save(): SavedOpenSearch {
    return saveOpenSearch(this, this.applications.save());
  }

  restore(saved: SavedOpenSearch): void {
    this.reset();
    restoreOpenSearch(this, saved);
    this.applications.restore(saved.applications);
  }
}

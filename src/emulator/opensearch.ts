import { AwsError } from './errors.js';
import { ApplicationsStore } from './opensearch-applications.js';
import { AssociationStore } from './opensearch-associations.js';
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

const packageRoutes = (prefix: string): RouteSpec[] => [
  { method: 'POST', path: `${prefix}/packages`, operation: 'CreatePackage', mutating: true },
  { method: 'POST', path: `${prefix}/packages/update`, operation: 'UpdatePackage', mutating: true },
  { method: 'POST', path: `${prefix}/packages/describe`, operation: 'DescribePackages', mutating: false },
  { method: 'DELETE', path: `${prefix}/packages/{PackageID}`, operation: 'DeletePackage', mutating: true },
  {
    method: 'POST',
    path: `${prefix}/packages/associate/{PackageID}/{DomainName}`,
    operation: 'AssociatePackage',
    mutating: true,
  },
  {
    method: 'POST',
    path: `${prefix}/packages/dissociate/{PackageID}/{DomainName}`,
    operation: 'DissociatePackage',
    mutating: true,
  },
  {
    method: 'GET',
    path: `${prefix}/packages/{PackageID}/domains`,
    operation: 'ListDomainsForPackage',
    mutating: false,
  },
  {
    method: 'GET',
    path: `${prefix}/domain/{DomainName}/packages`,
    operation: 'ListPackagesForDomain',
    mutating: false,
  },
  {
    method: 'GET',
    path: `${prefix}/packages/{PackageID}/history`,
    operation: 'GetPackageVersionHistory',
    mutating: false,
  },
];

const APP = '/2021-01-01/opensearch/application';

export const OPENSEARCH_ROUTES: RouteSpec[] = [
  { method: 'POST', path: '/2021-01-01/opensearch/domain', operation: 'CreateDomain', mutating: true },
  {
    method: 'GET',
    path: '/2021-01-01/opensearch/domain/{DomainName}',
    operation: 'DescribeDomain',
    mutating: false,
  },
  {
    method: 'DELETE',
    path: '/2021-01-01/opensearch/domain/{DomainName}',
    operation: 'DeleteDomain',
    mutating: true,
  },
  { method: 'GET', path: '/2021-01-01/domain', operation: 'ListDomainNames', mutating: false },
  ...packageRoutes('/2021-01-01'),
  // The legacy Elasticsearch Service API serves the same package operations and shapes.
  ...packageRoutes('/2015-01-01'),
  { method: 'POST', path: APP, operation: 'CreateApplication', mutating: true },
  { method: 'GET', path: `${APP}/{id}`, operation: 'GetApplication', mutating: false },
  {
    method: 'GET',
    path: '/2021-01-01/opensearch/list-applications',
    operation: 'ListApplications',
    mutating: false,
  },
  { method: 'POST', path: `${APP}/{id}/attachDataSource`, operation: 'AttachDataSource', mutating: true },
  {
    method: 'POST',
    path: `${APP}/{id}/describeDataSourceAttachment`,
    operation: 'DescribeDataSourceAttachment',
    mutating: false,
  },
  { method: 'POST', path: `${APP}/{id}/detachDataSource`, operation: 'DetachDataSource', mutating: true },
  {
    method: 'POST',
    path: `${APP}/{id}/listDataSourceAttachments`,
    operation: 'ListDataSourceAttachments',
    mutating: false,
  },
];

export class OpenSearchService {
  readonly router = new Router('es', OPENSEARCH_ROUTES);
  readonly domains: DomainStore;
  readonly packages: PackageStore;
  readonly associations: AssociationStore;
  readonly applications: ApplicationsStore;

  constructor(env: { region: string; accountId: string; durations: () => Durations; s3: S3Service }) {
    this.domains = new DomainStore(env);
    this.packages = new PackageStore(env);
    this.associations = new AssociationStore(this.domains, this.packages, env);
    this.applications = new ApplicationsStore(env, {
      domainReadyAt: (arn) => this.domains.byName.get(this.domains.domainNameFromArn(arn) ?? '')?.readyAt,
      isOwnDomainArn: (arn) => this.domains.domainNameFromArn(arn) !== undefined,
    });
  }

  reset(): void {
    this.domains.reset();
    this.packages.reset();
    this.applications.reset();
  }

  handle(req: ServiceRequest): JsonObject {
    this.packages.purgeDeletedPackages(req.now);
    switch (req.operation) {
      case 'CreateDomain':
        return this.domains.createDomain(req);
      case 'DescribeDomain':
        return { DomainStatus: this.domains.domainStatus(this.domains.requireDomain(req), req.now) };
      case 'DeleteDomain':
        return this.deleteDomain(req);
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
    return this.domains.deleteDomain(domain, req.now);
  }

  /** Domains created by the control API are ready at once: tests start from a running fleet. */
  seedDomains(domains: Array<{ name: string; engineVersion?: string }>, now: number): string[] {
    return this.domains.seedDomains(domains, now);
  }

  configureDomain(name: string, change: DomainConfiguration): boolean {
    return this.domains.configureDomain(name, change);
  }

  snapshot(now: number): { domains: DomainSnapshot[]; packages: PackageSnapshot[] } {
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

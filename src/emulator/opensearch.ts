import { createHash, randomInt } from 'node:crypto';
import { AwsError, validation } from './errors.js';
import { ApplicationsStore, type SavedApplications } from './opensearch-applications.js';
import { creationKey, paginate } from './pagination.js';
import { Router, type RouteSpec } from './routes.js';
import type { S3Service } from './s3.js';
import { epochSeconds, jsonBody, type JsonObject, type ServiceRequest } from './service.js';
import type {
  AssociationSnapshot,
  DomainConfiguration,
  DomainSnapshot,
  Durations,
  ErrorDetailsSnapshot,
  PackageSnapshot,
} from './types.js';
import { oneOf, optionalInteger, optionalString, requiredString, type StringRule } from './validation.js';

/**
 * Amazon OpenSearch Service: domains, custom packages and their associations, applications.
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

/** Not adjustable in AWS. */
export const MAX_PACKAGES_PER_REGION = 25;
export const MAX_PACKAGES_PER_DOMAIN = 20;

const LOWER_NAME: StringRule = { pattern: /^[a-z][a-z0-9-]+$/, patternText: '[a-z][a-z0-9\\-]+' };
const DOMAIN_NAME: StringRule = { ...LOWER_NAME, min: 3, max: 28 };
const PACKAGE_NAME: StringRule = { ...LOWER_NAME, min: 3, max: 256 };
const ENGINE_VERSION: StringRule = {
  min: 14,
  max: 18,
  pattern: /^(Elasticsearch_[0-9]\.[0-9]{1,2}|OpenSearch_[0-9]{1,2}\.[0-9]{1,2})$/,
  patternText: '^Elasticsearch_[0-9]{1}\\.[0-9]{1,2}$|^OpenSearch_[0-9]{1,2}\\.[0-9]{1,2}$',
};
const PACKAGE_TYPES = ['TXT-DICTIONARY', 'ZIP-PLUGIN', 'PACKAGE-LICENSE', 'PACKAGE-CONFIG'] as const;
const FILTER_NAMES = [
  'PackageID',
  'PackageName',
  'PackageStatus',
  'PackageType',
  'EngineVersion',
  'PackageOwner',
] as const;
export const DEFAULT_ENGINE_VERSION = 'OpenSearch_2.19';

type PackageType = (typeof PACKAGE_TYPES)[number];

interface Failure {
  stage: 'copy' | 'validation';
  errorType: string;
  errorMessage: string;
}

/** One CreatePackage/UpdatePackage: it becomes version `version` unless it fails. */
interface Upload {
  version: string;
  commitMessage?: string;
  startedAt: number;
  copiedAt: number;
  validatedAt: number;
  source: { bucket: string; key: string };
  size?: number;
  sha256?: string;
  failure?: Failure;
}

interface Package {
  id: string;
  name: string;
  type: PackageType;
  description?: string;
  engineVersion?: string;
  createdAt: number;
  sequence: number;
  /** Successful uploads in order, possibly followed by one in flight or one that failed. */
  uploads: Upload[];
  deleteRequestedAt?: number;
  deletedAt?: number;
  /** Domains with an association row for this package: the reverse index of Domain.associations. */
  domains: Set<string>;
}

interface Settling {
  requestedAt: number;
  settledAt: number;
  failMessage?: string;
}

interface Association extends Settling {
  packageId: string;
  version: string;
  dissociation?: Settling;
}

interface DomainSettings {
  associationMs?: number;
  dissociationMs?: number;
  failAssociation?: string;
  failDissociation?: string;
  indexesUsingPackages: Set<string>;
}

interface Domain {
  name: string;
  domainId: string;
  arn: string;
  engineVersion: string;
  createdAt: number;
  readyAt: number;
  clusterConfig: unknown;
  settings: DomainSettings;
  associations: Map<string, Association>;
}

type RowStatus =
  'ASSOCIATING' | 'ACTIVE' | 'ASSOCIATION_FAILED' | 'DISSOCIATING' | 'DISSOCIATION_FAILED' | 'GONE';

export interface SavedOpenSearch {
  domains: Array<
    Omit<Domain, 'settings' | 'associations'> & {
      settings: Omit<DomainSettings, 'indexesUsingPackages'> & { indexesUsingPackages: string[] };
      associations: Association[];
    }
  >;
  packages: Array<Omit<Package, 'domains'>>;
  applications: SavedApplications;
  sequence: number;
}

const DEFAULT_FAILURE_MESSAGE = {
  association: 'The package could not be associated with the domain (emulated failure)',
  dissociation: 'The package could not be dissociated from the domain (emulated failure)',
};

export class OpenSearchService {
  readonly router = new Router('es', OPENSEARCH_ROUTES);
  private readonly domains = new Map<string, Domain>();
  private readonly packages = new Map<string, Package>();
  private readonly packageIdByName = new Map<string, string>();
  /** Packages in DELETING, purged once their time has come; usually empty. */
  private readonly deleting = new Set<string>();
  private sequence = 0;
  readonly applications: ApplicationsStore;

  constructor(
    private readonly env: {
      region: string;
      accountId: string;
      durations: () => Durations;
      s3: S3Service;
    },
  ) {
    this.applications = new ApplicationsStore(env, {
      domainReadyAt: (arn) => this.domains.get(this.domainNameFromArn(arn) ?? '')?.readyAt,
      isOwnDomainArn: (arn) => this.domainNameFromArn(arn) !== undefined,
    });
  }

  reset(): void {
    this.domains.clear();
    this.packages.clear();
    this.packageIdByName.clear();
    this.deleting.clear();
    this.sequence = 0;
    this.applications.reset();
  }

  handle(req: ServiceRequest): JsonObject {
    this.purgeDeletedPackages(req.now);
    switch (req.operation) {
      case 'CreateDomain':
        return this.createDomain(req);
      case 'DescribeDomain':
        return { DomainStatus: this.domainStatus(this.requireDomain(req), req.now) };
      case 'DeleteDomain':
        return this.deleteDomain(req);
      case 'ListDomainNames':
        return this.listDomainNames(req);
      case 'CreatePackage':
        return this.createPackage(req);
      case 'UpdatePackage':
        return this.updatePackage(req);
      case 'DescribePackages':
        return this.describePackages(req);
      case 'DeletePackage':
        return this.deletePackage(req);
      case 'AssociatePackage':
        return this.associatePackage(req);
      case 'DissociatePackage':
        return this.dissociatePackage(req);
      case 'ListDomainsForPackage':
        return this.listDomainsForPackage(req);
      case 'ListPackagesForDomain':
        return this.listPackagesForDomain(req);
      case 'GetPackageVersionHistory':
        return this.getPackageVersionHistory(req);
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

  // ---- domains ----------------------------------------------------------------------------

  private createDomain(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const name = requiredString(body.DomainName, 'domainName', DOMAIN_NAME);
    req.resource.domainName = name;
    const engineVersion =
      optionalString(body.EngineVersion, 'engineVersion', ENGINE_VERSION) ?? DEFAULT_ENGINE_VERSION;
    if (this.domains.has(name)) {
      throw new AwsError('ResourceAlreadyExistsException', 409, `Domain ${name} already exists`);
    }
    const domain = this.addDomain(
      name,
      engineVersion,
      req.now,
      req.now + this.env.durations().domainProcessingMs,
      body.ClusterConfig,
    );
    return { DomainStatus: this.domainStatus(domain, req.now) };
  }

  /** Domains created by the control API are ready at once: tests start from a running fleet. */
  seedDomains(domains: Array<{ name: string; engineVersion?: string }>, now: number): string[] {
    const created: string[] = [];
    for (const { name, engineVersion } of domains) {
      requiredString(name, 'domainName', DOMAIN_NAME);
      if (engineVersion !== undefined) requiredString(engineVersion, 'engineVersion', ENGINE_VERSION);
      if (this.domains.has(name)) continue;
      this.addDomain(name, engineVersion ?? DEFAULT_ENGINE_VERSION, now, now, undefined);
      created.push(name);
    }
    return created;
  }

  private addDomain(
    name: string,
    engineVersion: string,
    createdAt: number,
    readyAt: number,
    clusterConfig: unknown,
  ): Domain {
    const domain: Domain = {
      name,
      domainId: `${this.env.accountId}/${name}`,
      arn: this.domainArn(name),
      engineVersion,
      createdAt,
      readyAt,
      clusterConfig: clusterConfig ?? { InstanceType: 'r6g.large.search', InstanceCount: 1 },
      settings: { indexesUsingPackages: new Set() },
      associations: new Map(),
    };
    this.domains.set(name, domain);
    return domain;
  }

  private domainArn(name: string): string {
    return `arn:aws:es:${this.env.region}:${this.env.accountId}:domain/${name}`;
  }

  private domainNameFromArn(arn: string): string | undefined {
    const prefix = `arn:aws:es:${this.env.region}:${this.env.accountId}:domain/`;
    return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  }

  private domainStatus(domain: Domain, now: number, deleted = false): JsonObject {
    const processing = deleted || now < domain.readyAt;
    const endpointId = createHash('sha256')
      .update(`${domain.name}:${domain.createdAt}`)
      .digest('hex')
      .slice(0, 26);
    return {
      DomainId: domain.domainId,
      DomainName: domain.name,
      ARN: domain.arn,
      Created: true,
      Deleted: deleted,
      ...(processing
        ? {}
        : { Endpoint: `search-${domain.name}-${endpointId}.${this.env.region}.es.amazonaws.com` }),
      Processing: processing,
      UpgradeProcessing: false,
      EngineVersion: domain.engineVersion,
      ClusterConfig: domain.clusterConfig,
      DomainProcessingStatus: deleted ? 'Deleting' : processing ? 'Creating' : 'Active',
    };
  }

  private deleteDomain(req: ServiceRequest): JsonObject {
    const domain = this.requireDomain(req);
    // Attachments to this domain are judged by what was true until now, before it disappears.
    this.applications.settleDataSource(domain.arn, req.now);
    for (const packageId of domain.associations.keys())
      this.packages.get(packageId)?.domains.delete(domain.name);
    this.domains.delete(domain.name);
    return { DomainStatus: this.domainStatus(domain, req.now, true) };
  }

  private listDomainNames(req: ServiceRequest): JsonObject {
    const engineTypeParam = req.query.get('engineType');
    const engineType =
      engineTypeParam === null
        ? undefined
        : oneOf(engineTypeParam, 'engineType', ['OpenSearch', 'Elasticsearch'] as const);
    const names: JsonObject[] = [];
    for (const domain of this.domains.values()) {
      const type = domain.engineVersion.startsWith('Elasticsearch_') ? 'Elasticsearch' : 'OpenSearch';
      if (engineType === undefined || engineType === type)
        names.push({ DomainName: domain.name, EngineType: type });
    }
    return { DomainNames: names };
  }

  private requireDomain(req: ServiceRequest): Domain {
    const name = req.params.DomainName ?? '';
    req.resource.domainName = name;
    const domain = this.domains.get(name);
    if (!domain) throw new AwsError('ResourceNotFoundException', 409, `Domain not found: ${name}`);
    return domain;
  }

  configureDomain(name: string, change: DomainConfiguration): boolean {
    const domain = this.domains.get(name);
    if (!domain) return false;
    const s = domain.settings;
    if (change.associationMs !== undefined) s.associationMs = change.associationMs;
    if (change.dissociationMs !== undefined) s.dissociationMs = change.dissociationMs;
    if (change.failAssociation !== undefined) {
      s.failAssociation = failureMessage(change.failAssociation, DEFAULT_FAILURE_MESSAGE.association);
    }
    if (change.failDissociation !== undefined) {
      s.failDissociation = failureMessage(change.failDissociation, DEFAULT_FAILURE_MESSAGE.dissociation);
    }
    if (change.indexesUsingPackages !== undefined)
      s.indexesUsingPackages = new Set(change.indexesUsingPackages);
    return true;
  }

  // ---- packages ---------------------------------------------------------------------------

  private createPackage(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const name = requiredString(body.PackageName, 'packageName', PACKAGE_NAME);
    req.resource.packageName = name;
    const type = oneOf(requiredString(body.PackageType, 'packageType'), 'packageType', PACKAGE_TYPES);
    const source = packageSource(body.PackageSource);
    const description = optionalString(body.PackageDescription, 'packageDescription', { max: 1024 });
    const engineVersion = optionalString(body.EngineVersion, 'engineVersion', ENGINE_VERSION);
    if (type === 'ZIP-PLUGIN' && engineVersion === undefined) {
      throw validation('EngineVersion is required for packages of type ZIP-PLUGIN');
    }
    const existingId = this.packageIdByName.get(name);
    if (existingId !== undefined) {
      req.resource.packageId = existingId;
      throw new AwsError('ResourceAlreadyExistsException', 409, `A package named ${name} already exists`);
    }
    if (this.packages.size >= MAX_PACKAGES_PER_REGION) {
      throw new AwsError(
        'LimitExceededException',
        409,
        `You have reached the limit of ${MAX_PACKAGES_PER_REGION} custom packages in this Region`,
      );
    }
    const pkg: Package = {
      id: this.newPackageId(),
      name,
      type,
      ...(description !== undefined ? { description } : {}),
      ...(engineVersion !== undefined ? { engineVersion } : {}),
      createdAt: req.now,
      sequence: ++this.sequence,
      uploads: [],
      domains: new Set(),
    };
    pkg.uploads.push(this.startUpload(pkg, 'v1', source, undefined, req.now));
    this.packages.set(pkg.id, pkg);
    this.packageIdByName.set(name, pkg.id);
    req.resource.packageId = pkg.id;
    return { PackageDetails: this.packageDetails(pkg, req.now) };
  }

  private updatePackage(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const id = requiredString(body.PackageID, 'packageID');
    req.resource.packageId = id;
    const source = packageSource(body.PackageSource);
    const description = optionalString(body.PackageDescription, 'packageDescription', { max: 1024 });
    const commitMessage = optionalString(body.CommitMessage, 'commitMessage', { max: 160 });
    const pkg = this.requirePackage(id);
    req.resource.packageName = pkg.name;
    const status = this.packageStatus(pkg, req.now);
    if (status === 'COPYING' || status === 'VALIDATING') {
      throw validation(`Package ${id} is ${status}: wait until it is AVAILABLE before updating it again`);
    }
    // A failed upload never became a version: the next one takes its number.
    const last = pkg.uploads[pkg.uploads.length - 1];
    if (last?.failure) pkg.uploads.pop();
    const version = `v${pkg.uploads.length + 1}`;
    pkg.uploads.push(this.startUpload(pkg, version, source, commitMessage, req.now));
    if (description !== undefined) pkg.description = description;
    return { PackageDetails: this.packageDetails(pkg, req.now) };
  }

  /** The copy reads S3 at request time; the outcome shows once the emulated copy/validation time has passed. */
  private startUpload(
    pkg: Package,
    version: string,
    source: { bucket: string; key: string },
    commitMessage: string | undefined,
    now: number,
  ): Upload {
    const durations = this.env.durations();
    const copiedAt = now + durations.packageCopyingMs;
    const upload: Upload = {
      version,
      ...(commitMessage !== undefined ? { commitMessage } : {}),
      startedAt: now,
      copiedAt,
      validatedAt: copiedAt + durations.packageValidatingMs,
      source,
    };
    const object = this.env.s3.getObject(source.bucket, source.key);
    if (!object) {
      upload.failure = {
        stage: 'copy',
        errorType: 'CopyFailed',
        errorMessage: `Could not copy s3://${source.bucket}/${source.key}: the object does not exist or is not accessible`,
      };
      return upload;
    }
    upload.size = object.body.length;
    upload.sha256 = object.sha256;
    const problem = contentProblem(pkg.type, object.body);
    if (problem)
      upload.failure = { stage: 'validation', errorType: 'ValidationFailed', errorMessage: problem };
    return upload;
  }

  private describePackages(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const maxResults = optionalInteger(body.MaxResults, 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = optionalString(body.NextToken, 'nextToken');
    const filters = parseFilters(body.Filters);
    const idFilter = filters.find((f) => f.name === 'PackageID');
    const nameFilter = filters.find((f) => f.name === 'PackageName');
    // Id and name filters are answered from the indexes rather than a scan.
    let candidates: Package[];
    if (idFilter) {
      candidates = idFilter.values.map((id) => this.packages.get(id)).filter((p): p is Package => !!p);
    } else if (nameFilter) {
      candidates = nameFilter.values
        .map((n) => this.packages.get(this.packageIdByName.get(n) ?? ''))
        .filter((p): p is Package => !!p);
    } else {
      candidates = [...this.packages.values()];
    }
    const matching = candidates
      .filter((pkg) =>
        filters.every((f) => {
          const value = packageFilterValue(pkg, f.name, this.packageStatus(pkg, req.now), this.env.accountId);
          return value !== undefined && f.values.includes(value);
        }),
      )
      .sort((a, b) => a.sequence - b.sequence);
    const { page, nextToken: next } = paginate(
      matching,
      (p) => creationKey(p.createdAt, p.sequence),
      maxResults,
      nextToken,
    );
    return {
      PackageDetailsList: page.map((p) => this.packageDetails(p, req.now)),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private deletePackage(req: ServiceRequest): JsonObject {
    const id = req.params.PackageID ?? '';
    req.resource.packageId = id;
    const pkg = this.requirePackage(id);
    req.resource.packageName = pkg.name;
    const associatedWith = this.liveDomainsOf(pkg, req.now);
    if (associatedWith.length > 0) {
      throw new AwsError(
        'ConflictException',
        409,
        `Package ${id} is associated with ${associatedWith.length} domain(s) (${associatedWith.slice(0, 5).join(', ')}${associatedWith.length > 5 ? ', ...' : ''}); dissociate it first`,
      );
    }
    pkg.deleteRequestedAt = req.now;
    pkg.deletedAt = req.now + this.env.durations().packageDeletingMs;
    const details = this.packageDetails(pkg, req.now);
    this.deleting.add(id);
    this.purgeDeletedPackages(req.now);
    return { PackageDetails: details };
  }

  private purgeDeletedPackages(now: number): void {
    if (this.deleting.size === 0) return;
    for (const id of this.deleting) {
      const pkg = this.packages.get(id);
      if (!pkg || pkg.deletedAt === undefined || now >= pkg.deletedAt) {
        this.deleting.delete(id);
        if (pkg) {
          this.packages.delete(id);
          this.packageIdByName.delete(pkg.name);
        }
      }
    }
  }

  private getPackageVersionHistory(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req.params.PackageID ?? '', req);
    const maxResults =
      optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = req.query.get('nextToken') ?? undefined;
    const versions = this.availableUploads(pkg, req.now).reverse();
    // Newest first; the key counts down so that keyset pagination still walks forwards.
    const { page, nextToken: next } = paginate(
      versions,
      (u) => String(1e9 - versionNumber(u.version)).padStart(10, '0'),
      maxResults,
      nextToken,
    );
    return {
      PackageID: pkg.id,
      PackageVersionHistoryList: page.map((u) => ({
        PackageVersion: u.version,
        ...(u.commitMessage !== undefined ? { CommitMessage: u.commitMessage } : {}),
        CreatedAt: epochSeconds(u.startedAt),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private requirePackage(id: string, req?: ServiceRequest): Package {
    if (req) req.resource.packageId = id;
    const pkg = this.packages.get(id);
    if (!pkg || pkg.deletedAt !== undefined) {
      throw new AwsError('ResourceNotFoundException', 409, `Package not found: ${id}`);
    }
    if (req) req.resource.packageName = pkg.name;
    return pkg;
  }

  private newPackageId(): string {
    for (;;) {
      const id = `F${randomInt(100_000_000, 1_000_000_000)}`;
      if (!this.packages.has(id)) return id;
    }
  }

  private latestUpload(pkg: Package): Upload {
    return pkg.uploads[pkg.uploads.length - 1]!;
  }

  private packageStatus(pkg: Package, now: number): string {
    if (pkg.deletedAt !== undefined) return now < pkg.deletedAt ? 'DELETING' : 'DELETED';
    const upload = this.latestUpload(pkg);
    if (now < upload.copiedAt) return 'COPYING';
    if (upload.failure?.stage === 'copy') return 'COPY_FAILED';
    if (now < upload.validatedAt) return 'VALIDATING';
    if (upload.failure) return 'VALIDATION_FAILED';
    return 'AVAILABLE';
  }

  private availableUploads(pkg: Package, now: number): Upload[] {
    return pkg.uploads.filter((u) => !u.failure && u.validatedAt <= now);
  }

  private availableVersion(pkg: Package, now: number): string | undefined {
    const available = this.availableUploads(pkg, now);
    return available[available.length - 1]?.version;
  }

  private packageErrorDetails(pkg: Package, now: number): ErrorDetailsSnapshot | undefined {
    const status = this.packageStatus(pkg, now);
    const failure = this.latestUpload(pkg).failure;
    if (!failure || (status !== 'COPY_FAILED' && status !== 'VALIDATION_FAILED')) return undefined;
    return { ErrorType: failure.errorType, ErrorMessage: failure.errorMessage };
  }

  private packageLastUpdated(pkg: Package, now: number): number {
    const upload = this.latestUpload(pkg);
    let last = upload.startedAt;
    if (upload.copiedAt <= now) last = Math.max(last, upload.copiedAt);
    if (upload.validatedAt <= now && upload.failure?.stage !== 'copy')
      last = Math.max(last, upload.validatedAt);
    if (pkg.deleteRequestedAt !== undefined) last = Math.max(last, pkg.deleteRequestedAt);
    return last;
  }

  private packageDetails(pkg: Package, now: number): JsonObject {
    const availableVersion = this.availableVersion(pkg, now);
    const errorDetails = this.packageErrorDetails(pkg, now);
    return {
      PackageID: pkg.id,
      PackageName: pkg.name,
      PackageType: pkg.type,
      ...(pkg.description !== undefined ? { PackageDescription: pkg.description } : {}),
      PackageStatus: this.packageStatus(pkg, now),
      CreatedAt: epochSeconds(pkg.createdAt),
      LastUpdatedAt: epochSeconds(this.packageLastUpdated(pkg, now)),
      ...(availableVersion !== undefined ? { AvailablePackageVersion: availableVersion } : {}),
      ...(errorDetails ? { ErrorDetails: errorDetails } : {}),
      ...(pkg.engineVersion !== undefined ? { EngineVersion: pkg.engineVersion } : {}),
      PackageOwner: this.env.accountId,
    };
  }

  // ---- associations -----------------------------------------------------------------------

  private associatePackage(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req.params.PackageID ?? '', req);
    const domain = this.requireDomain(req);
    const body = jsonBody(req);
    const now = req.now;
    const status = this.packageStatus(pkg, now);
    if (status !== 'AVAILABLE') {
      // Not ConflictException: callers rightly read "already in desired state" conflicts as success.
      throw validation(`Package ${pkg.id} is ${status}; only an AVAILABLE package can be associated`);
    }
    const prerequisites = body.PrerequisitePackageIDList;
    if (Array.isArray(prerequisites)) {
      for (const prerequisite of prerequisites) {
        const row = domain.associations.get(String(prerequisite));
        if (!row || this.rowStatus(row, now) !== 'ACTIVE') {
          throw validation(
            `Prerequisite package ${String(prerequisite)} is not associated with ${domain.name}`,
          );
        }
      }
    }
    const target = this.availableVersion(pkg, now)!;
    this.purgeGoneRows(domain, now);
    const existing = domain.associations.get(pkg.id);
    if (existing) {
      const rowStatus = this.rowStatus(existing, now);
      if (rowStatus === 'ASSOCIATING' || rowStatus === 'DISSOCIATING') {
        throw new AwsError(
          'ConflictException',
          409,
          `Package ${pkg.id} is ${rowStatus} on domain ${domain.name}; wait for that operation to finish`,
        );
      }
      if ((rowStatus === 'ACTIVE' || rowStatus === 'DISSOCIATION_FAILED') && existing.version === target) {
        throw new AwsError('ConflictException', 409, 'Package is already in desired state');
      }
    } else if (domain.associations.size >= MAX_PACKAGES_PER_DOMAIN) {
      throw new AwsError(
        'LimitExceededException',
        409,
        `Domain ${domain.name} already has the maximum of ${MAX_PACKAGES_PER_DOMAIN} packages associated`,
      );
    }
    const durationMs = domain.settings.associationMs ?? this.env.durations().associationMs;
    const row: Association = {
      packageId: pkg.id,
      version: target,
      requestedAt: now,
      settledAt: now + durationMs,
      ...(domain.settings.failAssociation !== undefined
        ? { failMessage: domain.settings.failAssociation }
        : {}),
    };
    domain.associations.set(pkg.id, row);
    pkg.domains.add(domain.name);
    return { DomainPackageDetails: this.rowDetails(pkg, domain, row, now) };
  }

  private dissociatePackage(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req.params.PackageID ?? '', req);
    const domain = this.requireDomain(req);
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
    const rowStatus = this.rowStatus(row, now);
    if (rowStatus === 'ASSOCIATING' || rowStatus === 'DISSOCIATING') {
      throw new AwsError(
        'ConflictException',
        409,
        `Package ${pkg.id} is ${rowStatus} on domain ${domain.name}; wait for that operation to finish`,
      );
    }
    if (domain.settings.indexesUsingPackages.has(pkg.id)) {
      throw new AwsError(
        'ConflictException',
        409,
        `Package ${pkg.id} is in use by one or more indexes on domain ${domain.name}. Move the indexes off the package before dissociating it`,
      );
    }
    const durationMs = domain.settings.dissociationMs ?? this.env.durations().dissociationMs;
    row.dissociation = {
      requestedAt: now,
      settledAt: now + durationMs,
      ...(domain.settings.failDissociation !== undefined
        ? { failMessage: domain.settings.failDissociation }
        : {}),
    };
    // The response says DISSOCIATING even when the row is already gone (zero duration).
    const details = this.rowDetails(pkg, domain, row, now, 'DISSOCIATING');
    this.purgeGoneRows(domain, now);
    return { DomainPackageDetails: details };
  }

  private listDomainsForPackage(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req.params.PackageID ?? '', req);
    const maxResults =
      optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = req.query.get('nextToken') ?? undefined;
    const names = this.liveDomainsOf(pkg, req.now).sort();
    const { page, nextToken: next } = paginate(names, (n) => n, maxResults, nextToken);
    return {
      DomainPackageDetailsList: page.map((name) => {
        const domain = this.domains.get(name)!;
        return this.rowDetails(pkg, domain, domain.associations.get(pkg.id)!, req.now);
      }),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private listPackagesForDomain(req: ServiceRequest): JsonObject {
    const domain = this.requireDomain(req);
    const maxResults =
      optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = req.query.get('nextToken') ?? undefined;
    this.purgeGoneRows(domain, req.now);
    const ids = [...domain.associations.keys()].sort();
    const { page, nextToken: next } = paginate(ids, (id) => id, maxResults, nextToken);
    return {
      DomainPackageDetailsList: page.map((id) =>
        this.rowDetails(this.packages.get(id)!, domain, domain.associations.get(id)!, req.now),
      ),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** Domains still holding a row for the package, after dropping rows whose dissociation completed. */
  private liveDomainsOf(pkg: Package, now: number): string[] {
    const live: string[] = [];
    for (const name of pkg.domains) {
      const domain = this.domains.get(name);
      const row = domain?.associations.get(pkg.id);
      if (!domain || !row) {
        pkg.domains.delete(name);
      } else if (this.rowStatus(row, now) === 'GONE') {
        domain.associations.delete(pkg.id);
        pkg.domains.delete(name);
      } else {
        live.push(name);
      }
    }
    return live;
  }

  private purgeGoneRows(domain: Domain, now: number): void {
    for (const [packageId, row] of domain.associations) {
      if (this.rowStatus(row, now) === 'GONE') {
        domain.associations.delete(packageId);
        this.packages.get(packageId)?.domains.delete(domain.name);
      }
    }
  }

  private rowStatus(row: Association, now: number): RowStatus {
    if (row.dissociation) {
      if (now < row.dissociation.settledAt) return 'DISSOCIATING';
      return row.dissociation.failMessage !== undefined ? 'DISSOCIATION_FAILED' : 'GONE';
    }
    if (now < row.settledAt) return 'ASSOCIATING';
    return row.failMessage !== undefined ? 'ASSOCIATION_FAILED' : 'ACTIVE';
  }

  private rowDetails(
    pkg: Package,
    domain: Domain,
    row: Association,
    now: number,
    statusOverride?: RowStatus,
  ): JsonObject {
    const status = statusOverride ?? this.rowStatus(row, now);
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
      ReferencePath: `analyzers/${pkg.id}`,
      ...(errorDetails ? { ErrorDetails: errorDetails } : {}),
    };
  }

  // ---- snapshot and persistence -----------------------------------------------------------

  snapshot(now: number): {
    domains: DomainSnapshot[];
    packages: PackageSnapshot[];
  } {
    this.purgeDeletedPackages(now);
    const domains: DomainSnapshot[] = [];
    for (const domain of this.domains.values()) {
      this.purgeGoneRows(domain, now);
      const associations: AssociationSnapshot[] = [];
      for (const row of domain.associations.values()) {
        const pkg = this.packages.get(row.packageId);
        if (!pkg) continue;
        const details = this.rowDetails(pkg, domain, row, now);
        associations.push({
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
      domains.push({
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
        },
        associations,
      });
    }
    const packages: PackageSnapshot[] = [...this.packages.values()].map((pkg) => {
      const status = this.packageStatus(pkg, now);
      const availableVersion = this.availableVersion(pkg, now);
      const errorDetails = this.packageErrorDetails(pkg, now);
      return {
        id: pkg.id,
        name: pkg.name,
        type: pkg.type,
        status,
        ...(pkg.description !== undefined ? { description: pkg.description } : {}),
        ...(pkg.engineVersion !== undefined ? { engineVersion: pkg.engineVersion } : {}),
        ...(availableVersion !== undefined ? { availableVersion } : {}),
        createdAt: new Date(pkg.createdAt).toISOString(),
        lastUpdatedAt: new Date(this.packageLastUpdated(pkg, now)).toISOString(),
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
        domains: this.liveDomainsOf(pkg, now).sort(),
      };
    });
    return { domains, packages };
  }

  save(): SavedOpenSearch {
    return {
      domains: [...this.domains.values()].map((d) => ({
        ...d,
        settings: { ...d.settings, indexesUsingPackages: [...d.settings.indexesUsingPackages] },
        associations: [...d.associations.values()],
      })),
      packages: [...this.packages.values()].map(({ domains: _domains, ...pkg }) => pkg),
      applications: this.applications.save(),
      sequence: this.sequence,
    };
  }

  restore(saved: SavedOpenSearch): void {
    this.reset();
    for (const p of saved.packages) {
      this.packages.set(p.id, { ...p, domains: new Set() });
      this.packageIdByName.set(p.name, p.id);
      if (p.deletedAt !== undefined) this.deleting.add(p.id);
    }
    for (const d of saved.domains) {
      const domain: Domain = {
        ...d,
        settings: { ...d.settings, indexesUsingPackages: new Set(d.settings.indexesUsingPackages) },
        associations: new Map(d.associations.map((a) => [a.packageId, a])),
      };
      this.domains.set(domain.name, domain);
      for (const packageId of domain.associations.keys())
        this.packages.get(packageId)?.domains.add(domain.name);
    }
    this.applications.restore(saved.applications);
    this.sequence = saved.sequence;
  }
}

function failureMessage(value: boolean | string, fallback: string): string | undefined {
  if (value === false) return undefined;
  return value === true || value === '' ? fallback : value;
}

function packageSource(value: unknown): { bucket: string; key: string } {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validation(
      "1 validation error detected: Value null at 'packageSource' failed to satisfy constraint: Member must not be null",
    );
  }
  const raw = value as Record<string, unknown>;
  return {
    bucket: requiredString(raw.S3BucketName, 'packageSource.s3BucketName', { min: 3, max: 63 }),
    key: requiredString(raw.S3Key, 'packageSource.s3Key', { min: 1, max: 1024 }),
  };
}

function parseFilters(value: unknown): Array<{ name: (typeof FILTER_NAMES)[number]; values: string[] }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw validation('Filters must be a list');
  return value.map((raw: unknown, index) => {
    const filter = (raw ?? {}) as Record<string, unknown>;
    const name = oneOf(requiredString(filter.Name, `filters.${index + 1}.member.name`), 'name', FILTER_NAMES);
    const values = filter.Value;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw validation(`Filters[${index}].Value must be a list of strings`);
    }
    return { name, values: values as string[] };
  });
}

function packageFilterValue(
  pkg: Package,
  name: (typeof FILTER_NAMES)[number],
  status: string,
  accountId: string,
): string | undefined {
  switch (name) {
    case 'PackageID':
      return pkg.id;
    case 'PackageName':
      return pkg.name;
    case 'PackageStatus':
      return status;
    case 'PackageType':
      return pkg.type;
    case 'EngineVersion':
      return pkg.engineVersion;
    case 'PackageOwner':
      return accountId;
  }
}

function versionNumber(version: string): number {
  return Number(version.slice(1)) || 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why OpenSearch would refuse this content for this package type, or undefined when it is fine. */
function contentProblem(type: PackageType, body: Buffer): string | undefined {
  if (type === 'TXT-DICTIONARY') {
    if (body.length === 0) return 'The dictionary file is empty';
    try {
      utf8.decode(body);
    } catch {
      return 'The dictionary file is not valid UTF-8 text';
    }
    if (body.includes(0)) return 'The dictionary file contains NUL bytes: it is not a text file';
    return undefined;
  }
  if (type === 'ZIP-PLUGIN') {
    const isZip = body.length >= 4 && body.readUInt32LE(0) === 0x04034b50;
    return isZip ? undefined : 'The plugin file is not a ZIP archive';
  }
  return undefined;
}

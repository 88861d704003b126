import { randomInt } from 'node:crypto';
import { AwsError, validation } from './errors.js';
import {
  contentProblem,
  PACKAGE_TYPES,
  packageFilterValue,
  packageSource,
  parseFilters,
  versionNumber,
  type PackageType,
} from './opensearch-package-checks.js';
import { DOMAIN_NAME, ENGINE_VERSION, isLegacy } from './opensearch-domains.js';
import { creationKey, paginate } from './pagination.js';
import type { S3Service } from './s3.js';
import { epochSeconds, jsonBody, type JsonObject, type ServiceRequest } from './service.js';
import type { Durations, ErrorDetailsSnapshot } from './types.js';
import { oneOf, optionalInteger, optionalString, requiredString, type StringRule } from './validation.js';

/**
 * OpenSearch Service custom packages: CreatePackage / UpdatePackage copy an S3 object and validate
 * it (COPYING -> VALIDATING -> AVAILABLE, or COPY_FAILED / VALIDATION_FAILED), each successful
 * upload becoming the next version; DeletePackage waits out DELETING. Every status is computed from
 * the upload's timestamps when it is read.
 *
 * Just over 400 lines on purpose: one store class over one map of packages, whose operations share
 * the version and status rules at the end of the file; the request checks are already apart
 * (opensearch-package-checks.ts).
 */

/** Not adjustable in AWS. */
export const MAX_PACKAGES_PER_REGION = 25;

const PACKAGE_NAME: StringRule = { ...DOMAIN_NAME, max: 256 };

interface Failure {
  stage: 'copy' | 'validation';
  errorType: string;
  errorMessage: string;
}

/** One CreatePackage/UpdatePackage: it becomes version `version` unless it fails. */
export interface Upload {
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

export interface Package {
  id: string;
  name: string;
  type: PackageType;
  description?: string;
  engineVersion?: string;
  /** PackageConfiguration as given on create / update (what a plugin requires: license, configuration). */
  configuration?: JsonObject;
  createdAt: number;
  sequence: number;
  /** Successful uploads in order, possibly followed by one in flight or one that failed. */
  uploads: Upload[];
  deleteRequestedAt?: number;
  deletedAt?: number;
  /** Domains with an association row for this package: the reverse index of Domain.associations. */
  domains: Set<string>;
}

export class PackageStore {
  readonly byId = new Map<string, Package>();
  private readonly idByName = new Map<string, string>();
  /** Packages in DELETING, purged once their time has come; usually empty. */
  private readonly deleting = new Set<string>();
  /** The bytes each upload copied, by sha256, as AWS keeps every version: backed domains get them. */
  readonly contents = new Map<string, Buffer>();
  sequence = 0;

  constructor(
    private readonly env: { accountId: string; region?: string; durations: () => Durations; s3: S3Service },
  ) {}

  reset(): void {
    this.byId.clear();
    this.idByName.clear();
    this.deleting.clear();
    this.contents.clear();
    this.sequence = 0;
  }

  /** A package read back from a saved state. */
  restorePackage(pkg: Package): void {
    this.byId.set(pkg.id, pkg);
    this.idByName.set(pkg.name, pkg.id);
    if (pkg.deletedAt !== undefined) this.deleting.add(pkg.id);
  }

  createPackage(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const name = requiredString(body.PackageName, 'packageName', PACKAGE_NAME);
    req.resource.packageName = name;
    const type = oneOf(requiredString(body.PackageType, 'packageType'), 'packageType', PACKAGE_TYPES);
    const source = this.sourceInRegion(packageSource(body.PackageSource));
    const description = optionalString(body.PackageDescription, 'packageDescription', { max: 1024 });
    const engineVersion = optionalString(body.EngineVersion, 'engineVersion', ENGINE_VERSION);
    if (type === 'ZIP-PLUGIN' && engineVersion === undefined) {
      throw validation('EngineVersion is required for packages of type ZIP-PLUGIN');
    }
    if (type !== 'ZIP-PLUGIN' && engineVersion !== undefined) {
      throw validation('EngineVersion can only be specified for packages of type ZIP-PLUGIN');
    }
    const configuration = packageConfiguration(body.PackageConfiguration);
    const existingId = this.idByName.get(name);
    if (existingId !== undefined) {
      req.resource.packageId = existingId;
      throw new AwsError('ResourceAlreadyExistsException', 409, `A package named ${name} already exists`);
    }
    if (this.byId.size >= MAX_PACKAGES_PER_REGION) {
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
      ...(configuration !== undefined ? { configuration } : {}),
      createdAt: req.now,
      sequence: ++this.sequence,
      uploads: [],
      domains: new Set(),
    };
    pkg.uploads.push(this.startUpload(pkg, 'v1', source, undefined, req.now));
    this.byId.set(pkg.id, pkg);
    this.idByName.set(name, pkg.id);
    req.resource.packageId = pkg.id;
    return { PackageDetails: this.packageDetails(pkg, req) };
  }

  updatePackage(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const id = requiredString(body.PackageID, 'packageID');
    req.resource.packageId = id;
    const source = this.sourceInRegion(packageSource(body.PackageSource));
    const description = optionalString(body.PackageDescription, 'packageDescription', { max: 1024 });
    const commitMessage = optionalString(body.CommitMessage, 'commitMessage', { max: 160 });
    const configuration = packageConfiguration(body.PackageConfiguration);
    const pkg = this.requirePackage(id);
    req.resource.packageName = pkg.name;
    const status = packageStatus(pkg, req.now);
    if (status === 'COPYING' || status === 'VALIDATING') {
      throw validation(`Package ${id} is ${status}: wait until it is AVAILABLE before updating it again`);
    }
    // A failed upload never became a version: the next one takes its number.
    const last = pkg.uploads[pkg.uploads.length - 1];
    if (last?.failure) pkg.uploads.pop();
    const version = `v${pkg.uploads.length + 1}`;
    pkg.uploads.push(this.startUpload(pkg, version, source, commitMessage, req.now));
    if (description !== undefined) pkg.description = description;
    if (configuration !== undefined) pkg.configuration = configuration;
    return { PackageDetails: this.packageDetails(pkg, req) };
  }

  /**
   * OpenSearch Service imports a package only from a bucket in the domain's Region: a bucket that
   * lives in another Region is refused at the call (a missing bucket or object is a COPY_FAILED
   * version, as before). The code is one CreatePackage's model lists; the wording is the emulator's.
   */
  private sourceInRegion<T extends { bucket: string }>(source: T): T {
    const bucketRegion = this.env.s3.bucketRegion(source.bucket);
    if (this.env.region !== undefined && bucketRegion !== undefined && bucketRegion !== this.env.region)
      throw validation(
        `The S3 bucket ${source.bucket} is in ${bucketRegion}: packages in ${this.env.region} must be imported from an S3 bucket in the same Region`,
      );
    return source;
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
    else this.contents.set(object.sha256, Buffer.from(object.body));
    return upload;
  }

  describePackages(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const maxResults = optionalInteger(body.MaxResults, 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = optionalString(body.NextToken, 'nextToken');
    const filters = parseFilters(body.Filters);
    const idFilter = filters.find((f) => f.name === 'PackageID');
    const nameFilter = filters.find((f) => f.name === 'PackageName');
    // Id and name filters are answered from the indexes rather than a scan.
    let candidates: Package[];
    if (idFilter) {
      candidates = idFilter.values.map((id) => this.byId.get(id)).filter((p): p is Package => !!p);
    } else if (nameFilter) {
      candidates = nameFilter.values
        .map((n) => this.byId.get(this.idByName.get(n) ?? ''))
        .filter((p): p is Package => !!p);
    } else {
      candidates = [...this.byId.values()];
    }
    const matching = candidates
      .filter((pkg) =>
        filters.every((f) => {
          const value = packageFilterValue(pkg, f.name, packageStatus(pkg, req.now), this.env.accountId);
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
      PackageDetailsList: page.map((p) => this.packageDetails(p, req)),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** `associatedWith`: the domains still holding a row for the package (rows that have gone dropped). */
  deletePackage(req: ServiceRequest, associatedWith: (pkg: Package) => string[]): JsonObject {
    const id = req.params.PackageID ?? '';
    req.resource.packageId = id;
    const pkg = this.requirePackage(id);
    req.resource.packageName = pkg.name;
    const domains = associatedWith(pkg);
    if (domains.length > 0) {
      throw new AwsError(
        'ConflictException',
        409,
        `Package ${id} is associated with ${domains.length} domain(s) (${domains.slice(0, 5).join(', ')}${domains.length > 5 ? ', ...' : ''}); dissociate it first`,
      );
    }
    pkg.deleteRequestedAt = req.now;
    pkg.deletedAt = req.now + this.env.durations().packageDeletingMs;
    const details = this.packageDetails(pkg, req);
    this.deleting.add(id);
    this.purgeDeletedPackages(req.now);
    return { PackageDetails: details };
  }

  purgeDeletedPackages(now: number): void {
    if (this.deleting.size === 0) return;
    for (const id of this.deleting) {
      const pkg = this.byId.get(id);
      if (!pkg || pkg.deletedAt === undefined || now >= pkg.deletedAt) {
        this.deleting.delete(id);
        if (pkg) {
          this.byId.delete(id);
          this.idByName.delete(pkg.name);
        }
      }
    }
  }

  getPackageVersionHistory(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req.params.PackageID ?? '', req);
    const maxResults =
      optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = req.query.get('nextToken') ?? undefined;
    const versions = availableUploads(pkg, req.now).reverse();
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

  /** The bytes of one version, as copied when it was uploaded (undefined if they were not kept). */
  versionBytes(packageId: string, version: string): Buffer | undefined {
    const upload = this.byId.get(packageId)?.uploads.find((u) => u.version === version && !u.failure);
    return upload?.sha256 !== undefined ? this.contents.get(upload.sha256) : undefined;
  }

  requirePackage(id: string, req?: ServiceRequest): Package {
    if (req) req.resource.packageId = id;
    const pkg = this.byId.get(id);
    if (!pkg || pkg.deletedAt !== undefined) {
      throw new AwsError('ResourceNotFoundException', 409, `Package not found: ${id}`);
    }
    if (req) req.resource.packageName = pkg.name;
    return pkg;
  }

  private newPackageId(): string {
    for (;;) {
      const id = `F${randomInt(100_000_000, 1_000_000_000)}`;
      if (!this.byId.has(id)) return id;
    }
  }

  /** The 2015-01-01 API's PackageDetails has neither EngineVersion nor PackageOwner. */
  packageDetails(pkg: Package, req: ServiceRequest): JsonObject {
    const now = req.now;
    const legacy = isLegacy(req);
    const availableVersion = availableVersionOf(pkg, now);
    const errorDetails = packageErrorDetails(pkg, now);
    return {
      PackageID: pkg.id,
      PackageName: pkg.name,
      PackageType: pkg.type,
      ...(pkg.description !== undefined ? { PackageDescription: pkg.description } : {}),
      PackageStatus: packageStatus(pkg, now),
      CreatedAt: epochSeconds(pkg.createdAt),
      LastUpdatedAt: epochSeconds(packageLastUpdated(pkg, now)),
      ...(availableVersion !== undefined ? { AvailablePackageVersion: availableVersion } : {}),
      ...(errorDetails ? { ErrorDetails: errorDetails } : {}),
      ...(legacy
        ? {}
        : {
            ...(pkg.engineVersion !== undefined ? { EngineVersion: pkg.engineVersion } : {}),
            ...(pkg.configuration !== undefined ? { AvailablePackageConfiguration: pkg.configuration } : {}),
            PackageOwner: this.env.accountId,
          }),
    };
  }
}

// ---- statuses, computed from the uploads' timestamps ------------------------------------------

function latestUpload(pkg: Package): Upload {
  return pkg.uploads[pkg.uploads.length - 1]!;
}

export function packageStatus(pkg: Package, now: number): string {
  if (pkg.deletedAt !== undefined) return now < pkg.deletedAt ? 'DELETING' : 'DELETED';
  const upload = latestUpload(pkg);
  if (now < upload.copiedAt) return 'COPYING';
  if (upload.failure?.stage === 'copy') return 'COPY_FAILED';
  if (now < upload.validatedAt) return 'VALIDATING';
  if (upload.failure) return 'VALIDATION_FAILED';
  return 'AVAILABLE';
}

function availableUploads(pkg: Package, now: number): Upload[] {
  return pkg.uploads.filter((u) => !u.failure && u.validatedAt <= now);
}

export function availableVersionOf(pkg: Package, now: number): string | undefined {
  const available = availableUploads(pkg, now);
  return available[available.length - 1]?.version;
}

export function packageErrorDetails(pkg: Package, now: number): ErrorDetailsSnapshot | undefined {
  const status = packageStatus(pkg, now);
  const failure = latestUpload(pkg).failure;
  if (!failure || (status !== 'COPY_FAILED' && status !== 'VALIDATION_FAILED')) return undefined;
  return { ErrorType: failure.errorType, ErrorMessage: failure.errorMessage };
}

export function packageLastUpdated(pkg: Package, now: number): number {
  const upload = latestUpload(pkg);
  let last = upload.startedAt;
  if (upload.copiedAt <= now) last = Math.max(last, upload.copiedAt);
  if (upload.validatedAt <= now && upload.failure?.stage !== 'copy')
    last = Math.max(last, upload.validatedAt);
  if (pkg.deleteRequestedAt !== undefined) last = Math.max(last, pkg.deleteRequestedAt);
  return last;
}

const REQUIREMENT_LEVELS = ['REQUIRED', 'OPTIONAL', 'NONE'] as const;

/** PackageConfiguration: LicenseRequirement and ConfigurationRequirement are required members. */
function packageConfiguration(raw: unknown): JsonObject | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw validation('PackageConfiguration must be an object');
  const c = raw as JsonObject;
  const license = oneOf(
    requiredString(c.LicenseRequirement, 'packageConfiguration.licenseRequirement'),
    'packageConfiguration.licenseRequirement',
    REQUIREMENT_LEVELS,
  );
  const config = oneOf(
    requiredString(c.ConfigurationRequirement, 'packageConfiguration.configurationRequirement'),
    'packageConfiguration.configurationRequirement',
    REQUIREMENT_LEVELS,
  );
  return {
    LicenseRequirement: license,
    ConfigurationRequirement: config,
    ...(c.LicenseFilepath !== undefined
      ? {
          LicenseFilepath: optionalString(c.LicenseFilepath, 'packageConfiguration.licenseFilepath', {
            max: 1024,
          }),
        }
      : {}),
    ...(typeof c.RequiresRestartForConfigurationUpdate === 'boolean'
      ? { RequiresRestartForConfigurationUpdate: c.RequiresRestartForConfigurationUpdate }
      : {}),
  };
}

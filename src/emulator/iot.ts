import { AwsError, validation } from './errors.js';
import { creationKey, paginate } from './pagination.js';
import {
  checkAttributes,
  CLIENT_TOKEN,
  PACKAGE_NAME,
  parseArtifact,
  VERSION_NAME,
  type Artifact,
} from './iot-checks.js';
import { Router, type RouteSpec } from './routes.js';
import { epochSeconds, jsonBody, type JsonObject, type ServiceRequest } from './service.js';
import type { IotPackageSnapshot } from './types.js';
import {
  oneOf,
  optionalBoolean,
  optionalInteger,
  optionalRecord,
  optionalString,
  requiredString,
} from './validation.js';

/**
 * AWS IoT software package catalog: packages, versions (DRAFT -> PUBLISHED <-> DEPRECATED) and
 * the package's default version.
 *
 * Client tokens: the SDK fills in a fresh one per call, but keeps it across its own retries, and
 * callers may pass their own. A token seen before with the same operation and parameters replays
 * the first answer without touching state; with other parameters it is a ConflictException.
 *
 * Over 400 lines on purpose: ten operations over one pair of maps (packages, tokens) read best
 * together; what they accept is checked in iot-checks.ts.
 */

export const IOT_ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/packages', operation: 'ListPackages', mutating: false },
  { method: 'PUT', path: '/packages/{packageName}', operation: 'CreatePackage', mutating: true },
  { method: 'GET', path: '/packages/{packageName}', operation: 'GetPackage', mutating: false },
  { method: 'PATCH', path: '/packages/{packageName}', operation: 'UpdatePackage', mutating: true },
  { method: 'DELETE', path: '/packages/{packageName}', operation: 'DeletePackage', mutating: true },
  {
    method: 'PUT',
    path: '/packages/{packageName}/versions/{versionName}',
    operation: 'CreatePackageVersion',
    mutating: true,
  },
  {
    method: 'GET',
    path: '/packages/{packageName}/versions/{versionName}',
    operation: 'GetPackageVersion',
    mutating: false,
  },
  {
    method: 'PATCH',
    path: '/packages/{packageName}/versions/{versionName}',
    operation: 'UpdatePackageVersion',
    mutating: true,
  },
  {
    method: 'DELETE',
    path: '/packages/{packageName}/versions/{versionName}',
    operation: 'DeletePackageVersion',
    mutating: true,
  },
  {
    method: 'GET',
    path: '/packages/{packageName}/versions',
    operation: 'ListPackageVersions',
    mutating: false,
  },
];

const STATUSES = ['DRAFT', 'PUBLISHED', 'DEPRECATED'] as const;
type VersionStatus = (typeof STATUSES)[number];

interface PackageVersion {
  versionName: string;
  arn: string;
  description?: string;
  attributes: Record<string, string>;
  artifact?: Artifact;
  recipe?: string;
  tags?: Record<string, string>;
  status: VersionStatus;
  createdAt: number;
  lastModifiedAt: number;
  sequence: number;
}

interface IotPackage {
  name: string;
  arn: string;
  description?: string;
  tags?: Record<string, string>;
  defaultVersionName?: string;
  createdAt: number;
  lastModifiedAt: number;
  /** Creation order, for ListPackages' pages (absent in state saved before it existed). */
  sequence?: number;
  versions: Map<string, PackageVersion>;
}

interface TokenRecord {
  parameters: string;
  response: JsonObject;
}

export interface SavedIot {
  packages: Array<Omit<IotPackage, 'versions'> & { versions: PackageVersion[] }>;
  tokens: [string, TokenRecord][];
  sequence: number;
}

export class IotService {
  readonly router = new Router('iot', IOT_ROUTES);
  private readonly packages = new Map<string, IotPackage>();
  private readonly tokens = new Map<string, TokenRecord>();
  private sequence = 0;

  constructor(private readonly env: { region: string; accountId: string }) {}

  reset(): void {
    this.packages.clear();
    this.tokens.clear();
    this.sequence = 0;
  }

  handle(req: ServiceRequest): JsonObject {
    if (req.operation === 'ListPackages') return this.listPackages(req);
    const packageName = req.params.packageName ?? '';
    req.resource.packageName = packageName;
    if (req.params.versionName !== undefined) req.resource.versionName = req.params.versionName;
    requiredString(packageName, 'packageName', PACKAGE_NAME);
    if (req.params.versionName !== undefined)
      requiredString(req.params.versionName, 'versionName', VERSION_NAME);
    switch (req.operation) {
      case 'CreatePackage':
        return this.idempotent(req, () => this.createPackage(req));
      case 'GetPackage':
        return this.getPackage(req);
      case 'UpdatePackage':
        return this.idempotent(req, () => this.updatePackage(req));
      case 'DeletePackage':
        return this.idempotent(req, () => this.deletePackage(req));
      case 'CreatePackageVersion':
        return this.idempotent(req, () => this.createPackageVersion(req));
      case 'GetPackageVersion':
        return this.getPackageVersion(req);
      case 'UpdatePackageVersion':
        return this.idempotent(req, () => this.updatePackageVersion(req));
      case 'DeletePackageVersion':
        return this.idempotent(req, () => this.deletePackageVersion(req));
      case 'ListPackageVersions':
        return this.listPackageVersions(req);
      default:
        throw new AwsError('UnknownOperationException', 404, `Unknown operation ${req.operation}`);
    }
  }

  private idempotent(req: ServiceRequest, apply: () => JsonObject): JsonObject {
    const token = optionalString(req.query.get('clientToken') ?? undefined, 'clientToken', CLIENT_TOKEN);
    if (token !== undefined) req.resource.clientToken = token;
    if (token === undefined) return apply();
    const key = `${req.operation}\u0000${token}`;
    const parameters = JSON.stringify([
      req.params.packageName,
      req.params.versionName ?? null,
      jsonBody(req),
    ]);
    const previous = this.tokens.get(key);
    if (previous) {
      if (previous.parameters === parameters) return previous.response;
      throw new AwsError(
        'ConflictException',
        409,
        `The clientToken ${token} was already used for ${req.operation} with different parameters`,
        { resourceId: req.params.versionName ?? req.params.packageName ?? '' },
      );
    }
    const response = apply();
    this.tokens.set(key, { parameters, response });
    return response;
  }

  private createPackage(req: ServiceRequest): JsonObject {
    const name = req.params.packageName!;
    const body = jsonBody(req);
    const description = optionalString(body.description, 'description', { max: 1024 });
    const tags = optionalRecord(body.tags, 'tags');
    if (this.packages.has(name)) {
      throw new AwsError('ConflictException', 409, `Package ${name} already exists`, { resourceId: name });
    }
    const pkg: IotPackage = {
      name,
      arn: `arn:aws:iot:${this.env.region}:${this.env.accountId}:package/${name}`,
      ...(description !== undefined ? { description } : {}),
      ...(tags !== undefined ? { tags } : {}),
      createdAt: req.now,
      lastModifiedAt: req.now,
      sequence: ++this.sequence,
      versions: new Map(),
    };
    this.packages.set(name, pkg);
    return { packageName: name, packageArn: pkg.arn, ...(description !== undefined ? { description } : {}) };
  }

  private getPackage(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req);
    return {
      packageName: pkg.name,
      packageArn: pkg.arn,
      ...(pkg.description !== undefined ? { description: pkg.description } : {}),
      ...(pkg.defaultVersionName !== undefined ? { defaultVersionName: pkg.defaultVersionName } : {}),
      creationDate: epochSeconds(pkg.createdAt),
      lastModifiedDate: epochSeconds(pkg.lastModifiedAt),
    };
  }

  private updatePackage(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req);
    const body = jsonBody(req);
    const description = optionalString(body.description, 'description', { max: 1024 });
    const defaultVersionName = optionalString(body.defaultVersionName, 'defaultVersionName', VERSION_NAME);
    const unsetDefaultVersion = optionalBoolean(body.unsetDefaultVersion, 'unsetDefaultVersion');
    if (defaultVersionName !== undefined && unsetDefaultVersion === true) {
      throw validation('defaultVersionName and unsetDefaultVersion cannot be used together');
    }
    if (defaultVersionName !== undefined) {
      const version = pkg.versions.get(defaultVersionName);
      if (!version) {
        throw new AwsError(
          'ResourceNotFoundException',
          404,
          `Package version ${defaultVersionName} of ${pkg.name} not found`,
        );
      }
      if (version.status === 'DRAFT') {
        throw new AwsError(
          'ConflictException',
          409,
          `Package version ${defaultVersionName} is DRAFT; publish it before making it the default version`,
          { resourceId: defaultVersionName },
        );
      }
      pkg.defaultVersionName = defaultVersionName;
    }
    if (unsetDefaultVersion === true) delete pkg.defaultVersionName;
    if (description !== undefined) pkg.description = description;
    pkg.lastModifiedAt = req.now;
    return {};
  }

  private deletePackage(req: ServiceRequest): JsonObject {
    const name = req.params.packageName!;
    const pkg = this.packages.get(name);
    // Deleting what is not there succeeds: the operation lists no ResourceNotFoundException.
    if (!pkg) return {};
    if (pkg.versions.size > 0) {
      throw validation(
        `Package ${name} still has ${pkg.versions.size} version(s): all package versions must be deleted before deleting the software package`,
      );
    }
    this.packages.delete(name);
    return {};
  }

  private createPackageVersion(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req);
    const versionName = req.params.versionName!;
    const body = jsonBody(req);
    const description = optionalString(body.description, 'description', { max: 1024 });
    const attributes = checkAttributes(body.attributes) ?? {};
    const artifact = parseArtifact(body.artifact);
    const recipe = optionalString(body.recipe, 'recipe', { max: 3072 });
    const tags = optionalRecord(body.tags, 'tags');
    if (pkg.versions.has(versionName)) {
      throw new AwsError(
        'ConflictException',
        409,
        `Package version ${versionName} of ${pkg.name} already exists`,
        { resourceId: versionName },
      );
    }
    const version: PackageVersion = {
      versionName,
      arn: `${pkg.arn}/version/${versionName}`,
      ...(description !== undefined ? { description } : {}),
      attributes,
      ...(artifact !== undefined ? { artifact } : {}),
      ...(recipe !== undefined ? { recipe } : {}),
      ...(tags !== undefined ? { tags } : {}),
      status: 'DRAFT',
      createdAt: req.now,
      lastModifiedAt: req.now,
      sequence: ++this.sequence,
    };
    pkg.versions.set(versionName, version);
    pkg.lastModifiedAt = req.now;
    return {
      packageVersionArn: version.arn,
      packageName: pkg.name,
      versionName,
      ...(description !== undefined ? { description } : {}),
      attributes,
      status: version.status,
    };
  }

  private getPackageVersion(req: ServiceRequest): JsonObject {
    const { pkg, version } = this.requireVersion(req);
    return {
      packageVersionArn: version.arn,
      packageName: pkg.name,
      versionName: version.versionName,
      ...(version.description !== undefined ? { description: version.description } : {}),
      attributes: version.attributes,
      ...(version.artifact !== undefined ? { artifact: version.artifact } : {}),
      status: version.status,
      creationDate: epochSeconds(version.createdAt),
      lastModifiedDate: epochSeconds(version.lastModifiedAt),
      ...(version.recipe !== undefined ? { recipe: version.recipe } : {}),
    };
  }

  private updatePackageVersion(req: ServiceRequest): JsonObject {
    const { pkg, version } = this.requireVersion(req);
    const body = jsonBody(req);
    const description = optionalString(body.description, 'description', { max: 1024 });
    const attributes = checkAttributes(body.attributes);
    const artifact = parseArtifact(body.artifact);
    const recipe = optionalString(body.recipe, 'recipe', { max: 3072 });
    const action =
      body.action === undefined || body.action === null
        ? undefined
        : oneOf(requiredString(body.action, 'action'), 'action', ['PUBLISH', 'DEPRECATE'] as const);
    if (
      (attributes !== undefined || artifact !== undefined || recipe !== undefined) &&
      version.status !== 'DRAFT'
    ) {
      throw new AwsError(
        'ConflictException',
        409,
        `Package version ${version.versionName} is ${version.status}: attributes, artifact and recipe can be changed only in DRAFT`,
        { resourceId: version.versionName },
      );
    }
    let nextStatus = version.status;
    if (action === 'PUBLISH') {
      // PUBLISHED again is a no-op, so a retried publish with a fresh token is harmless.
      nextStatus = 'PUBLISHED';
    } else if (action === 'DEPRECATE') {
      if (version.status === 'DRAFT') {
        throw new AwsError(
          'ConflictException',
          409,
          `Package version ${version.versionName} is DRAFT: only a PUBLISHED version can be deprecated`,
          { resourceId: version.versionName },
        );
      }
      nextStatus = 'DEPRECATED';
    }
    if (description !== undefined) version.description = description;
    // The map given replaces the previous attributes, as with every other member of this call.
    if (attributes !== undefined) version.attributes = attributes;
    if (artifact !== undefined) version.artifact = artifact;
    if (recipe !== undefined) version.recipe = recipe;
    version.status = nextStatus;
    version.lastModifiedAt = req.now;
    pkg.lastModifiedAt = req.now;
    return {};
  }

  private deletePackageVersion(req: ServiceRequest): JsonObject {
    const pkg = this.packages.get(req.params.packageName!);
    const versionName = req.params.versionName!;
    if (!pkg || !pkg.versions.has(versionName)) return {};
    if (pkg.defaultVersionName === versionName) {
      throw validation(
        `Package version ${versionName} is the default version of ${pkg.name}: unset it with UpdatePackage before deleting it`,
      );
    }
    pkg.versions.delete(versionName);
    pkg.lastModifiedAt = req.now;
    return {};
  }

  /** In order of creation (the model paginates: maxResults 1-100, default 25 as for versions). */
  private listPackages(req: ServiceRequest): JsonObject {
    const maxResults = optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 25;
    const nextToken = req.query.get('nextToken') ?? undefined;
    const packages = [...this.packages.values()].sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
    const { page, nextToken: next } = paginate(
      packages,
      (p) => creationKey(p.createdAt, p.sequence ?? 0),
      maxResults,
      nextToken,
    );
    return {
      packageSummaries: page.map((p) => ({
        packageName: p.name,
        ...(p.defaultVersionName !== undefined ? { defaultVersionName: p.defaultVersionName } : {}),
        creationDate: epochSeconds(p.createdAt),
        lastModifiedDate: epochSeconds(p.lastModifiedAt),
      })),
      ...(next ? { nextToken: next } : {}),
    };
  }

  private listPackageVersions(req: ServiceRequest): JsonObject {
    const pkg = this.requirePackage(req);
    const statusParam = req.query.get('status');
    const status = statusParam === null ? undefined : oneOf(statusParam, 'status', STATUSES);
    const maxResults = optionalInteger(req.query.get('maxResults'), 'maxResults', { min: 1, max: 100 }) ?? 25;
    const nextToken = req.query.get('nextToken') ?? undefined;
    const versions = [...pkg.versions.values()]
      .filter((v) => status === undefined || v.status === status)
      .sort((a, b) => a.sequence - b.sequence);
    const { page, nextToken: next } = paginate(
      versions,
      (v) => creationKey(v.createdAt, v.sequence),
      maxResults,
      nextToken,
    );
    return {
      packageVersionSummaries: page.map((v) => ({
        packageName: pkg.name,
        versionName: v.versionName,
        status: v.status,
        creationDate: epochSeconds(v.createdAt),
        lastModifiedDate: epochSeconds(v.lastModifiedAt),
      })),
      ...(next ? { nextToken: next } : {}),
    };
  }

  private requirePackage(req: ServiceRequest): IotPackage {
    const name = req.params.packageName ?? '';
    const pkg = this.packages.get(name);
    if (!pkg) throw new AwsError('ResourceNotFoundException', 404, `Package ${name} not found`);
    return pkg;
  }

  private requireVersion(req: ServiceRequest): { pkg: IotPackage; version: PackageVersion } {
    const pkg = this.requirePackage(req);
    const versionName = req.params.versionName ?? '';
    const version = pkg.versions.get(versionName);
    if (!version) {
      throw new AwsError(
        'ResourceNotFoundException',
        404,
        `Package version ${versionName} of ${pkg.name} not found`,
      );
    }
    return { pkg, version };
  }

  snapshot(): IotPackageSnapshot[] {
    return [...this.packages.values()].map((pkg) => ({
      name: pkg.name,
      arn: pkg.arn,
      ...(pkg.description !== undefined ? { description: pkg.description } : {}),
      ...(pkg.defaultVersionName !== undefined ? { defaultVersionName: pkg.defaultVersionName } : {}),
      createdAt: new Date(pkg.createdAt).toISOString(),
      lastModifiedAt: new Date(pkg.lastModifiedAt).toISOString(),
      versions: [...pkg.versions.values()].map((v) => ({
        versionName: v.versionName,
        arn: v.arn,
        status: v.status,
        ...(v.description !== undefined ? { description: v.description } : {}),
        attributes: { ...v.attributes },
        ...(v.artifact !== undefined ? { artifact: v.artifact } : {}),
        ...(v.recipe !== undefined ? { recipe: v.recipe } : {}),
        createdAt: new Date(v.createdAt).toISOString(),
        lastModifiedAt: new Date(v.lastModifiedAt).toISOString(),
      })),
    }));
  }

  save(): SavedIot {
    return {
      packages: [...this.packages.values()].map((p) => ({ ...p, versions: [...p.versions.values()] })),
      tokens: [...this.tokens],
      sequence: this.sequence,
    };
  }

  restore(saved: SavedIot): void {
    this.reset();
    for (const p of saved.packages) {
      this.packages.set(p.name, { ...p, versions: new Map(p.versions.map((v) => [v.versionName, v])) });
    }
    for (const [key, record] of saved.tokens) this.tokens.set(key, record);
    this.sequence = saved.sequence;
  }
}

import { createHash } from 'node:crypto';
import { AwsError, validation } from './errors.js';
import { changeProgress, changeStatusMembers, type ConfigChange } from './opensearch-deployments.js';
import { jsonBody, type JsonObject, type ServiceRequest } from './service.js';
import type { DomainBacking, DomainConfiguration, Durations } from './types.js';
import { oneOf, optionalString, requiredString, type StringRule } from './validation.js';

/**
 * OpenSearch Service domains: enough of a domain for packages and data sources to hang on (name,
 * ARN, engine version, processing until its creation time has passed), plus the per-domain
 * behaviour a test configures through the control API. The association rows live here too, keyed
 * by package; their lifecycle is in opensearch-associations.ts.
 */

const LOWER_NAME: StringRule = { pattern: /^[a-z][a-z0-9-]+$/, patternText: '[a-z][a-z0-9\\-]+' };
export const DOMAIN_NAME: StringRule = { ...LOWER_NAME, min: 3, max: 28 };
export const ENGINE_VERSION: StringRule = {
  min: 14,
  max: 18,
  pattern: /^(Elasticsearch_[0-9]\.[0-9]{1,2}|OpenSearch_[0-9]{1,2}\.[0-9]{1,2})$/,
  patternText: '^Elasticsearch_[0-9]{1}\\.[0-9]{1,2}$|^OpenSearch_[0-9]{1,2}\\.[0-9]{1,2}$',
};
export const DEFAULT_ENGINE_VERSION = 'OpenSearch_2.19';

const DEFAULT_FAILURE_MESSAGE = {
  association: 'The package could not be associated with the domain (emulated failure)',
  dissociation: 'The package could not be dissociated from the domain (emulated failure)',
};

export interface Settling {
  requestedAt: number;
  settledAt: number;
  failMessage?: string;
}

/** One domain's row for one package. */
export interface Association extends Settling {
  packageId: string;
  version: string;
  /** PrerequisitePackageIDList as the association was requested. */
  prerequisites?: string[];
  dissociation?: Settling;
}

export interface DomainSettings {
  associationMs?: number;
  dissociationMs?: number;
  failAssociation?: string;
  failDissociation?: string;
  indexesUsingPackages: Set<string>;
}

export interface Domain {
  name: string;
  domainId: string;
  arn: string;
  engineVersion: string;
  createdAt: number;
  readyAt: number;
  clusterConfig: unknown;
  settings: DomainSettings;
  associations: Map<string, Association>;
  /** The latest configuration change (a blue/green deployment), see opensearch-deployments.ts. */
  change?: ConfigChange;
}

export class DomainStore {
  readonly byName = new Map<string, Domain>();

  constructor(
    private readonly env: {
      region: string;
      accountId: string;
      durations: () => Durations;
      /** The real node behind a domain, if any (opensearch-backing.ts). */
      backing: (name: string) => DomainBacking | undefined;
    },
  ) {}

  reset(): void {
    this.byName.clear();
  }

  /** CreateDomain, or CreateElasticsearchDomain on the legacy API (its version "7.10" means Elasticsearch_7.10). */
  createDomain(req: ServiceRequest): JsonObject {
    const legacy = isLegacy(req);
    const body = jsonBody(req);
    const name = requiredString(body.DomainName, 'domainName', DOMAIN_NAME);
    req.resource.domainName = name;
    const engineVersion = legacy
      ? legacyEngineVersion(optionalString(body.ElasticsearchVersion, 'elasticsearchVersion'))
      : (optionalString(body.EngineVersion, 'engineVersion', ENGINE_VERSION) ?? DEFAULT_ENGINE_VERSION);
    if (this.byName.has(name)) {
      throw new AwsError('ResourceAlreadyExistsException', 409, `Domain ${name} already exists`);
    }
    const domain = this.addDomain(
      name,
      engineVersion,
      req.now,
      req.now + this.env.durations().domainProcessingMs,
      legacy ? body.ElasticsearchClusterConfig : body.ClusterConfig,
    );
    return { DomainStatus: this.domainStatus(domain, req) };
  }

  /** DescribeDomain / DescribeElasticsearchDomain. */
  describeDomain(req: ServiceRequest): JsonObject {
    return { DomainStatus: this.domainStatus(this.requireDomain(req), req) };
  }

  /** DescribeDomainChangeProgress: the stages of the domain's latest configuration change. */
  describeDomainChangeProgress(req: ServiceRequest): JsonObject {
    const changeId = req.query.get('changeid') ?? undefined;
    return changeProgress(this.requireDomain(req), req.now, changeId);
  }

  /** DescribeDomains / DescribeElasticsearchDomains: 1-5 names; names of no domain are left out. */
  describeDomains(req: ServiceRequest): JsonObject {
    const names = jsonBody(req).DomainNames;
    if (!Array.isArray(names) || names.length < 1 || names.length > 5) {
      throw validation(
        "1 validation error detected: Value at 'domainNames' failed to satisfy constraint: Member must have length between 1 and 5",
      );
    }
    const statuses: JsonObject[] = [];
    for (const name of names) {
      const domain = this.byName.get(requiredString(name, 'domainNames.member', DOMAIN_NAME));
      if (domain) statuses.push(this.domainStatus(domain, req));
    }
    return { DomainStatusList: statuses };
  }

  /** Domains created by the control API are ready at once: tests start from a running fleet. */
  seedDomains(domains: Array<{ name: string; engineVersion?: string }>, now: number): string[] {
    const created: string[] = [];
    for (const { name, engineVersion } of domains) {
      requiredString(name, 'domainName', DOMAIN_NAME);
      if (engineVersion !== undefined) requiredString(engineVersion, 'engineVersion', ENGINE_VERSION);
      if (this.byName.has(name)) continue;
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
    this.byName.set(name, domain);
    return domain;
  }

  private domainArn(name: string): string {
    return `arn:aws:es:${this.env.region}:${this.env.accountId}:domain/${name}`;
  }

  domainNameFromArn(arn: string): string | undefined {
    const prefix = `arn:aws:es:${this.env.region}:${this.env.accountId}:domain/`;
    return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  }

  /** The DomainStatus (2021-01-01) or ElasticsearchDomainStatus (2015-01-01) of the API called. */
  domainStatus(domain: Domain, req: ServiceRequest, deleted = false): JsonObject {
    const now = req.now;
    const processing = deleted || now < domain.readyAt;
    const endpointId = createHash('sha256')
      .update(`${domain.name}:${domain.createdAt}`)
      .digest('hex')
      .slice(0, 26);
    const legacy = isLegacy(req);
    const backing = this.env.backing(domain.name);
    const endpoint =
      backing?.endpoint ?? `search-${domain.name}-${endpointId}.${this.env.region}.es.amazonaws.com`;
    return {
      DomainId: domain.domainId,
      DomainName: domain.name,
      ARN: domain.arn,
      Created: true,
      Deleted: deleted,
      ...(processing ? {} : backing?.vpc ? { Endpoints: { vpc: endpoint } } : { Endpoint: endpoint }),
      ...(backing?.vpc
        ? {
            VPCOptions: {
              VPCId: 'vpc-emulator',
              SubnetIds: ['subnet-emulator'],
              AvailabilityZones: [`${this.env.region}a`],
              SecurityGroupIds: ['sg-emulator'],
            },
          }
        : {}),
      Processing: processing,
      UpgradeProcessing: false,
      ...(legacy
        ? {
            ElasticsearchVersion: domain.engineVersion.replace(/^Elasticsearch_/, ''),
            ElasticsearchClusterConfig: clusterConfigFor(domain.clusterConfig, true),
          }
        : {
            EngineVersion: domain.engineVersion,
            ClusterConfig: clusterConfigFor(domain.clusterConfig, false),
          }),
      DomainProcessingStatus: deleted ? 'Deleting' : processing ? 'Creating' : 'Active',
      ...(deleted || processing || legacy ? {} : changeStatusMembers(domain, now)),
    };
  }

  /** The caller has already let go of what refers to the domain (association rows, data sources). */
  deleteDomain(domain: Domain, req: ServiceRequest): JsonObject {
    this.byName.delete(domain.name);
    return { DomainStatus: this.domainStatus(domain, req, true) };
  }

  listDomainNames(req: ServiceRequest): JsonObject {
    const engineTypeParam = req.query.get('engineType');
    const engineType =
      engineTypeParam === null
        ? undefined
        : oneOf(engineTypeParam, 'engineType', ['OpenSearch', 'Elasticsearch'] as const);
    const names: JsonObject[] = [];
    for (const domain of this.byName.values()) {
      const type = domain.engineVersion.startsWith('Elasticsearch_') ? 'Elasticsearch' : 'OpenSearch';
      if (engineType === undefined || engineType === type)
        names.push({ DomainName: domain.name, EngineType: type });
    }
    return { DomainNames: names };
  }

  requireDomain(req: ServiceRequest): Domain {
    const name = req.params.DomainName ?? '';
    req.resource.domainName = name;
    const domain = this.byName.get(name);
    if (!domain) throw new AwsError('ResourceNotFoundException', 409, `Domain not found: ${name}`);
    return domain;
  }

  configureDomain(name: string, change: DomainConfiguration): boolean {
    const domain = this.byName.get(name);
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
}

function failureMessage(value: boolean | string, fallback: string): string | undefined {
  if (value === false) return undefined;
  return value === true || value === '' ? fallback : value;
}

export const isLegacy = (req: ServiceRequest): boolean => req.apiVersion === '2015-01-01';

/** Legacy versions are "X.Y"; AWS's own default for the legacy API is long gone, so 7.10, the last. */
function legacyEngineVersion(version: string | undefined): string {
  if (version === undefined) return 'Elasticsearch_7.10';
  if (!/^[0-9]{1,2}\.[0-9]{1,2}$/.test(version)) {
    throw validation(`Invalid ElasticsearchVersion ${version}: expected a version such as 7.10`);
  }
  return `Elasticsearch_${version}`;
}

/** The members each API version's cluster configuration has (the legacy one lacks the newer two). */
const CLUSTER_MEMBERS = [
  'InstanceType',
  'InstanceCount',
  'DedicatedMasterEnabled',
  'ZoneAwarenessEnabled',
  'ZoneAwarenessConfig',
  'DedicatedMasterType',
  'DedicatedMasterCount',
  'WarmEnabled',
  'WarmType',
  'WarmCount',
  'ColdStorageOptions',
];
const CLUSTER_MEMBERS_2021 = [...CLUSTER_MEMBERS, 'MultiAZWithStandbyEnabled', 'NodeOptions'];
const INSTANCE_TYPE_MEMBERS = new Set(['InstanceType', 'DedicatedMasterType', 'WarmType']);

/**
 * The stored configuration as the API called names it: its members only, and instance types with
 * that API's suffix (`r6g.large.search` / `r6g.large.elasticsearch`).
 */
function clusterConfigFor(stored: unknown, legacy: boolean): JsonObject {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return {};
  const out: JsonObject = {};
  for (const member of legacy ? CLUSTER_MEMBERS : CLUSTER_MEMBERS_2021) {
    let value = (stored as JsonObject)[member];
    if (value === undefined) continue;
    if (INSTANCE_TYPE_MEMBERS.has(member) && typeof value === 'string') {
      value = legacy
        ? value.replace(/\.search$/, '.elasticsearch')
        : value.replace(/\.elasticsearch$/, '.search');
    }
    out[member] = value;
  }
  return out;
}

/**
 * Types shared by the emulator server and its control client. Kept free of runtime imports so
 * that the control client can be used from any process without loading the server.
 */

export type ServiceName = 'es' | 'iot' | 's3' | 'monitoring' | 'sts';

/** Milliseconds of the EMULATOR clock. */
export interface Durations {
  /** CreateDomain -> Processing=false. */
  domainProcessingMs: number;
  /** COPYING -> VALIDATING. */
  packageCopyingMs: number;
  /** VALIDATING -> AVAILABLE / VALIDATION_FAILED. */
  packageValidatingMs: number;
  /** ASSOCIATING -> ACTIVE / ASSOCIATION_FAILED. */
  associationMs: number;
  /** DISSOCIATING -> row gone / DISSOCIATION_FAILED. */
  dissociationMs: number;
  /** DELETING -> package gone (DeletePackage answers DELETING either way). */
  packageDeletingMs: number;
  /** Application CREATING -> ACTIVE. */
  applicationCreatingMs: number;
  /** Data source attachment PENDING -> FAILED. */
  attachmentExpiryMs: number;
  /** The blue/green deployment a plugin package's association or dissociation starts. */
  blueGreenMs: number;
}

export const DEFAULT_DURATIONS: Readonly<Durations> = Object.freeze({
  domainProcessingMs: 0,
  packageCopyingMs: 200,
  packageValidatingMs: 200,
  associationMs: 500,
  dissociationMs: 500,
  packageDeletingMs: 0,
  applicationCreatingMs: 0,
  attachmentExpiryMs: 24 * 60 * 60 * 1000,
  blueGreenMs: 2000,
});

/** A real OpenSearch node standing in for the domain's nodes (see opensearch-backing.ts). */
export interface DomainBacking {
  /** The node's URL, e.g. http://127.0.0.1:9200: DescribeDomain answers it as the domain's endpoint. */
  endpoint: string;
  /** Absolute path of the node's config directory: packages land in `<configDir>/analyzers/<PackageID>`. */
  configDir: string;
  /** A VPC domain: the endpoint is answered in `Endpoints.vpc`, with VPCOptions, and no `Endpoint`. */
  vpc?: boolean;
}

export interface DomainConfiguration {
  /** Overrides the global associationMs for this domain. */
  associationMs?: number;
  /** Overrides the global dissociationMs for this domain. */
  dissociationMs?: number;
  /** true or a message: associations requested from now on end ASSOCIATION_FAILED. false clears it. */
  failAssociation?: boolean | string;
  /** true or a message: dissociations requested from now on end DISSOCIATION_FAILED. false clears it. */
  failDissociation?: boolean | string;
  /** PackageIDs that an index on this domain uses: DissociatePackage answers ConflictException. */
  indexesUsingPackages?: string[];
  /** Back the domain by a real node; null: no longer. Kept in the state file. */
  backing?: DomainBacking | null;
}

export interface FaultRule {
  service?: ServiceName;
  /** e.g. 'CreatePackage'; omitted = every operation of the service(s). */
  operation?: string;
  /** Only operations that change state (CreatePackage, AssociatePackage, PutObject, ...). */
  mutatingOnly?: boolean;
  /** ThrottlingException "Rate exceeded" (HTTP 400) for es and iot, SlowDown (503) for s3. */
  throttleProbability?: number;
  /** InternalException / InternalServerException / InternalError, HTTP 500. */
  internalErrorProbability?: number;
  /** Real milliseconds added before the call is handled. */
  latencyMs?: number;
  /** Apply the request, then answer 500 as if the response had been lost. */
  loseResponseProbability?: number;
  /** The rule fires at most this many times, then it is spent. */
  remaining?: number;
  /** Reset the connection (TCP RST) before the request is applied: nothing changes. */
  resetBeforeProbability?: number;
  /** Apply the request, then reset the connection: the change stands, no answer arrives. */
  resetAfterProbability?: number;
  /** Never answer (the request is not applied); the connection stays open until the client gives up. */
  hangProbability?: number;
  /** Only calls to this Region (the SigV4 credential scope's); omitted = every Region. */
  region?: string;
  /** Only calls in this account (the caller's, see sts.ts); omitted = every account. */
  account?: string;
}

export type FaultKind =
  'throttle' | 'internal' | 'lost-response' | 'latency' | 'reset-before' | 'reset-after' | 'hang';

export interface CallResource {
  packageId?: string;
  packageName?: string;
  domainName?: string;
  applicationId?: string;
  versionName?: string;
  bucket?: string;
  key?: string;
  /** The idempotency token the request carried (AttachDataSource, IoT mutations): retries must reuse it. */
  clientToken?: string;
}

export interface CallRecord {
  seq: number;
  service: ServiceName;
  operation: string;
  mutating: boolean;
  /** Emulator clock, ISO 8601. */
  at: string;
  /** Wall clock, ISO 8601. */
  realAt: string;
  durationMs: number;
  httpStatus: number;
  errorCode?: string;
  fault?: FaultKind;
  resource?: CallResource;
  /** Answered ThrottlingException by the account's rate limit (rate-limits.ts), not by a fault rule. */
  rateLimited?: true;
  /** The account the call acted in: a role's, for keys handed out by AssumeRole; else the default. */
  account: string;
  /** The Region of the call's SigV4 credential scope (the default for unsigned calls). */
  region: string;
}

/**
 * Which account and Region a control call addresses (`?region=&account=`); either omitted means
 * the emulator's default. `roleArn` is a shorthand for the role's account.
 */
export interface PlaceSelector {
  region?: string;
  account?: string;
  roleArn?: string;
}

/** An IAM role the emulator's STS lets callers assume (control API `POST /_emulator/roles`, `--role`). */
export interface RoleSpec {
  /** arn:aws:iam::<account>:role/<name>: keys handed out for it act in that account. */
  arn: string;
  /** When set, AssumeRole must present exactly this ExternalId (the trust policy's sts:ExternalId). */
  externalId?: string;
  /** The role's MaxSessionDuration in seconds, 3600-43200 [3600, IAM's default]. */
  maxSessionDurationSeconds?: number;
}

/** A session key handed out by AssumeRole, as the control API shows it (no secret, no token). */
export interface SessionSnapshot {
  accessKeyId: string;
  roleArn: string;
  sessionName: string;
  /** Wall clock, ISO 8601. */
  expiration: string;
  expired: boolean;
}

export interface ClockReading {
  now: string;
  scale: number;
}

export interface ClockChange {
  /** Move the emulator clock forward by this many milliseconds (never backwards). */
  advanceMs?: number;
  /** Emulator milliseconds per real millisecond from now on (e.g. 3600 = an hour per second). */
  scale?: number;
}

export type ApplicationStatusValue = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING' | 'FAILED';
export type DataSourceStatusValue = 'ACTIVE' | 'CREATING' | 'PROCESSING' | 'DELETED' | 'FAILED';

export interface ErrorDetailsSnapshot {
  ErrorType: string;
  ErrorMessage: string;
}

export interface AssociationSnapshot {
  packageId: string;
  packageName: string;
  domainName: string;
  status: string;
  packageVersion: string;
  referencePath: string;
  lastUpdated: string;
  errorDetails?: ErrorDetailsSnapshot;
}

export interface DomainSnapshot {
  name: string;
  domainId: string;
  arn: string;
  engineVersion: string;
  processing: boolean;
  createdAt: string;
  configuration: DomainConfiguration;
  associations: AssociationSnapshot[];
}

export interface PackageVersionSnapshot {
  version: string;
  /** 'pending' while copying or validating, 'failed' when it never became a version. */
  state: 'available' | 'pending' | 'failed';
  commitMessage?: string;
  createdAt: string;
  source: { bucket: string; key: string };
  size?: number;
  sha256?: string;
  errorDetails?: ErrorDetailsSnapshot;
}

export interface PackageSnapshot {
  id: string;
  name: string;
  type: string;
  status: string;
  description?: string;
  engineVersion?: string;
  availableVersion?: string;
  createdAt: string;
  lastUpdatedAt: string;
  errorDetails?: ErrorDetailsSnapshot;
  versions: PackageVersionSnapshot[];
  domains: string[];
}

export interface ApplicationSnapshot {
  id: string;
  name: string;
  arn: string;
  status: string;
  createdAt: string;
}

export interface AttachmentSnapshot {
  attachmentId: string;
  applicationId: string;
  dataSourceArn: string;
  status: string;
  createdAt: string;
  workspaceId?: string;
  workspaceConfiguration?: { name: string; workspaceType: string };
}

export interface IotPackageVersionSnapshot {
  versionName: string;
  arn: string;
  status: string;
  description?: string;
  attributes: Record<string, string>;
  artifact?: { s3Location?: { bucket?: string; key?: string; version?: string } };
  recipe?: string;
  createdAt: string;
  lastModifiedAt: string;
}

export interface IotPackageSnapshot {
  name: string;
  arn: string;
  description?: string;
  defaultVersionName?: string;
  createdAt: string;
  lastModifiedAt: string;
  versions: IotPackageVersionSnapshot[];
}

export interface S3ObjectSnapshot {
  key: string;
  size: number;
  sha256: string;
  etag: string;
  lastModified: string;
}

export interface S3BucketSnapshot {
  name: string;
  createdAt: string;
  objects: S3ObjectSnapshot[];
}

export interface EmulatorStateSnapshot {
  clock: ClockReading;
  durations: Durations;
  opensearch: {
    domains: DomainSnapshot[];
    packages: PackageSnapshot[];
    applications: ApplicationSnapshot[];
    attachments: AttachmentSnapshot[];
    dataSourceStatuses: Record<string, string>;
  };
  iot: { packages: IotPackageSnapshot[] };
  /** The place's buckets (S3 names are global; each bucket lives in one account and Region). */
  s3: { buckets: S3BucketSnapshot[] };
  /** Which account and Region this is. */
  place: { account: string; region: string };
  /** The place's CloudWatch alarms. */
  alarms: Array<{ name: string; state: string; reason: string }>;
}

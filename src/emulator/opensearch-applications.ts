import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, validation } from './errors.js';
import { creationKey, paginate } from './pagination.js';
import { epochSeconds, jsonBody, type JsonObject, type ServiceRequest } from './service.js';
import type { ApplicationSnapshot, AttachmentSnapshot, Durations } from './types.js';
import { oneOf, optionalInteger, optionalString, requiredString } from './validation.js';

/**
 * OpenSearch applications and their data source attachments.
 *
 * An attachment is PENDING until its application and its data source are both ACTIVE, then
 * ATTACHED; still PENDING when attachmentExpiryMs has passed, it is FAILED. Nothing runs on a
 * timer: the outcome is computed from the moments at which each side became ACTIVE, and frozen
 * ("settled") the first time it is known. A status override from the control API first settles
 * every attachment it could affect, so history before the override is judged by the old status.
 *
 * Over 400 lines on purpose: the attachment outcome (settle, failedSince, the status overrides) is
 * one piece of reasoning over the store's private state, and reads best whole.
 */

interface StatusOverride {
  status: string;
  since: number;
}

interface Application {
  id: string;
  name: string;
  arn: string;
  createdAt: number;
  activeAt: number;
  lastUpdatedAt: number;
  sequence: number;
  clientToken?: string;
  override?: StatusOverride;
  dataSources?: unknown;
  appConfigs?: unknown;
  tagList?: unknown;
  iamIdentityCenterOptions?: unknown;
  kmsKeyArn?: string;
}

interface Attachment {
  attachmentId: string;
  dataSourceArn: string;
  createdAt: number;
  expiresAt: number;
  sequence: number;
  resolved?: { status: 'ATTACHED' | 'FAILED'; at: number };
  workspaceId?: string;
  workspaceConfiguration?: { name: string; workspaceType: string };
}

interface ApplicationEntry {
  application: Application;
  /** By dataSourceArn: at most one live attachment per pair. */
  attachments: Map<string, Attachment>;
  /** clientToken -> the parameters it was first used with. */
  attachTokens: Map<string, string>;
}

/** What the applications need to know about domains, which live in the packages half. */
export interface DomainLookup {
  /** undefined: no such domain in this emulator. Otherwise the moment it stopped processing. */
  domainReadyAt(domainArn: string): number | undefined;
  /** ARNs of this emulator's own domains look like this; others belong to someone else. */
  isOwnDomainArn(arn: string): boolean;
}

export interface SavedApplications {
  applications: Array<
    Omit<Application, never> & { attachments: Attachment[]; attachTokens: [string, string][] }
  >;
  dataSourceOverrides: [string, StatusOverride][];
}

const APPLICATION_NAME = {
  min: 3,
  max: 30,
  pattern: /^[a-z][a-z0-9-]+$/,
  patternText: '[a-z][a-z0-9\\-]+',
};
const WORKSPACE_NAME = { min: 1, max: 40, pattern: /^[A-Za-z0-9()[\]\-_ ]+$/ };
const WORKSPACE_TYPES = ['OBSERVABILITY', 'SECURITY_ANALYTICS', 'SEARCH'] as const;

export class ApplicationsStore {
  private readonly byId = new Map<string, ApplicationEntry>();
  private readonly idByName = new Map<string, string>();
  private readonly dataSourceOverrides = new Map<string, StatusOverride>();
  private sequence = 0;

  constructor(
    private readonly env: { region: string; accountId: string; durations: () => Durations },
    private readonly domains: DomainLookup,
  ) {}

  reset(): void {
    this.byId.clear();
    this.idByName.clear();
    this.dataSourceOverrides.clear();
    this.sequence = 0;
  }

  // ---- operations -------------------------------------------------------------------------

  createApplication(req: ServiceRequest): JsonObject {
    const body = jsonBody(req);
    const name = requiredString(body.name, 'name', APPLICATION_NAME);
    const clientToken = optionalString(body.clientToken, 'clientToken', { min: 1, max: 64 });
    const existingId = this.idByName.get(name);
    if (existingId !== undefined) {
      const existing = this.byId.get(existingId)!.application;
      req.resource.applicationId = existing.id;
      // Same token: the first call's answer, so a retry after a lost response is harmless.
      if (clientToken !== undefined && existing.clientToken === clientToken) return this.createView(existing);
      throw new AwsError('ConflictException', 409, `An application named ${name} already exists`);
    }
    const id = newApplicationId();
    const now = req.now;
    const application: Application = {
      id,
      name,
      arn: `arn:aws:opensearch:${this.env.region}:${this.env.accountId}:application/${id}`,
      createdAt: now,
      activeAt: now + this.env.durations().applicationCreatingMs,
      lastUpdatedAt: now,
      sequence: ++this.sequence,
      ...(clientToken !== undefined ? { clientToken } : {}),
      ...(body.dataSources !== undefined ? { dataSources: body.dataSources } : {}),
      ...(body.appConfigs !== undefined ? { appConfigs: body.appConfigs } : {}),
      ...(body.tagList !== undefined ? { tagList: body.tagList } : {}),
      ...(body.iamIdentityCenterOptions !== undefined
        ? { iamIdentityCenterOptions: body.iamIdentityCenterOptions }
        : {}),
      ...(typeof body.kmsKeyArn === 'string' ? { kmsKeyArn: body.kmsKeyArn } : {}),
    };
    this.byId.set(id, { application, attachments: new Map(), attachTokens: new Map() });
    this.idByName.set(name, id);
    req.resource.applicationId = id;
    return this.createView(application);
  }

  getApplication(req: ServiceRequest): JsonObject {
    const { application } = this.require(req);
    const status = this.applicationStatus(application, req.now);
    return {
      id: application.id,
      arn: application.arn,
      name: application.name,
      ...(status === 'ACTIVE'
        ? {
            endpoint: `application-${application.name}-${application.id}.${this.env.region}.opensearch.amazonaws.com`,
          }
        : {}),
      status,
      iamIdentityCenterOptions: application.iamIdentityCenterOptions,
      dataSources: application.dataSources,
      appConfigs: application.appConfigs,
      createdAt: epochSeconds(application.createdAt),
      lastUpdatedAt: epochSeconds(
        Math.max(application.lastUpdatedAt, this.activeSinceOrCreated(application)),
      ),
      kmsKeyArn: application.kmsKeyArn,
    };
  }

  /** Gone at once, with its attachments (the emulator has no DELETING phase for applications). */
  deleteApplication(req: ServiceRequest): JsonObject {
    const { application } = this.require(req);
    this.byId.delete(application.id);
    this.idByName.delete(application.name);
    return {};
  }

  /** GET /2021-01-01/opensearch/list-applications?statuses=&maxResults=&nextToken= */
  listApplications(req: ServiceRequest): JsonObject {
    const maxRaw = req.query.get('maxResults');
    const maxResults =
      optionalInteger(maxRaw === null ? undefined : Number(maxRaw), 'maxResults', { min: 1, max: 100 }) ??
      100;
    const nextToken = req.query.get('nextToken') ?? undefined;
    const statuses = new Set(req.query.getAll('statuses'));
    const matching = [...this.byId.values()]
      .map((e) => ({ application: e.application, status: this.applicationStatus(e.application, req.now) }))
      .filter((a) => statuses.size === 0 || statuses.has(a.status))
      .sort((a, b) => a.application.sequence - b.application.sequence);
    const { page, nextToken: next } = paginate(
      matching,
      (a) => creationKey(a.application.createdAt, a.application.sequence),
      maxResults,
      nextToken,
    );
    return {
      ApplicationSummaries: page.map(({ application, status }) => ({
        id: application.id,
        arn: application.arn,
        name: application.name,
        status,
        createdAt: epochSeconds(application.createdAt),
        lastUpdatedAt: epochSeconds(application.lastUpdatedAt),
      })),
      ...(next ? { nextToken: next } : {}),
    };
  }

  attachDataSource(req: ServiceRequest): JsonObject {
    const entry = this.require(req);
    const body = jsonBody(req);
    const dataSourceArn = requiredString(body.dataSourceArn, 'dataSourceArn', {
      min: 20,
      max: 2048,
      pattern: /^arn:\S+$/,
      patternText: 'arn:.+',
    });
    const workspaceId = optionalString(body.workspaceId, 'workspaceId', { min: 1, max: 256 });
    const workspaceConfiguration = parseWorkspaceConfiguration(body.workspaceConfiguration);
    if (workspaceId !== undefined && workspaceConfiguration !== undefined) {
      throw validation('workspaceId and workspaceConfiguration are mutually exclusive: specify at most one');
    }
    const clientToken = optionalString(body.clientToken, 'clientToken', { min: 1, max: 64 });
    if (clientToken !== undefined) req.resource.clientToken = clientToken;
    const parameters = JSON.stringify([dataSourceArn, workspaceId ?? null, workspaceConfiguration ?? null]);
    if (clientToken !== undefined) {
      const previous = entry.attachTokens.get(clientToken);
      if (previous !== undefined && previous !== parameters) {
        throw new AwsError(
          'ConflictException',
          409,
          'The clientToken was already used with different parameters for this application',
        );
      }
    }
    if (
      this.domains.isOwnDomainArn(dataSourceArn) &&
      this.domains.domainReadyAt(dataSourceArn) === undefined
    ) {
      throw new AwsError('ResourceNotFoundException', 409, `Data source ${dataSourceArn} not found`);
    }
    const now = req.now;
    const existing = entry.attachments.get(dataSourceArn);
    if (existing) {
      this.settle(entry.application, existing, now);
      // Idempotent per pair: attached or pending is returned as it stands; a FAILED one is replaced.
      if (existing.resolved?.status !== 'FAILED') {
        if (clientToken !== undefined) entry.attachTokens.set(clientToken, parameters);
        return this.attachmentView(entry.application, existing, now);
      }
    }
    const attachment: Attachment = {
      attachmentId: randomUUID(),
      dataSourceArn,
      createdAt: now,
      expiresAt: now + this.env.durations().attachmentExpiryMs,
      sequence: ++this.sequence,
      ...(workspaceId !== undefined ? { workspaceId } : {}),
      ...(workspaceConfiguration !== undefined ? { workspaceConfiguration } : {}),
    };
    entry.attachments.set(dataSourceArn, attachment);
    if (clientToken !== undefined) entry.attachTokens.set(clientToken, parameters);
    return this.attachmentView(entry.application, attachment, now);
  }

  describeDataSourceAttachment(req: ServiceRequest): JsonObject {
    const entry = this.require(req);
    const body = jsonBody(req);
    const dataSourceArn = requiredString(body.dataSourceArn, 'dataSourceArn', { min: 1, max: 2048 });
    const attachment = entry.attachments.get(dataSourceArn);
    if (!attachment) {
      throw new AwsError(
        'ResourceNotFoundException',
        409,
        `No attachment of ${dataSourceArn} to application ${entry.application.id}`,
      );
    }
    return this.attachmentView(entry.application, attachment, req.now);
  }

  detachDataSource(req: ServiceRequest): JsonObject {
    const entry = this.require(req);
    const body = jsonBody(req);
    const dataSourceArn = requiredString(body.dataSourceArn, 'dataSourceArn', { min: 1, max: 2048 });
    const attachment = entry.attachments.get(dataSourceArn);
    if (!attachment) {
      throw new AwsError(
        'ResourceNotFoundException',
        409,
        `Nothing is attached from ${dataSourceArn} to application ${entry.application.id}`,
      );
    }
    const now = req.now;
    this.settle(entry.application, attachment, now);
    if (!attachment.resolved) {
      throw new AwsError(
        'ConflictException',
        409,
        `The attachment of ${dataSourceArn} is still PENDING; it can be detached once ATTACHED or FAILED`,
      );
    }
    const applicationStatus = this.applicationStatus(entry.application, now);
    if (applicationStatus !== 'ACTIVE') {
      throw new AwsError(
        'ConflictException',
        409,
        `Application ${entry.application.id} is ${applicationStatus}; it must be ACTIVE to detach a data source`,
      );
    }
    entry.attachments.delete(dataSourceArn);
    return { id: entry.application.id, arn: entry.application.arn, dataSourceArn };
  }

  listDataSourceAttachments(req: ServiceRequest): JsonObject {
    const entry = this.require(req);
    const body = jsonBody(req);
    const maxResults = optionalInteger(body.maxResults, 'maxResults', { min: 1, max: 100 }) ?? 100;
    const nextToken = optionalString(body.nextToken, 'nextToken');
    const sorted = [...entry.attachments.values()].sort((a, b) => a.sequence - b.sequence);
    const { page, nextToken: next } = paginate(
      sorted,
      (a) => creationKey(a.createdAt, a.sequence),
      maxResults,
      nextToken,
    );
    return {
      attachments: page.map((a) => {
        this.settle(entry.application, a, req.now);
        return {
          attachmentId: a.attachmentId,
          dataSourceArn: a.dataSourceArn,
          status: this.attachmentStatus(a),
        };
      }),
      ...(next ? { nextToken: next } : {}),
    };
  }

  // ---- control ----------------------------------------------------------------------------

  setApplicationStatus(idOrName: string, status: string, now: number): boolean {
    const entry = this.lookup(idOrName);
    if (!entry) return false;
    for (const attachment of entry.attachments.values()) this.settle(entry.application, attachment, now);
    entry.application.override = { status, since: now };
    entry.application.lastUpdatedAt = now;
    return true;
  }

  setDataSourceStatus(arn: string, status: string, now: number): void {
    this.settleDataSource(arn, now);
    this.dataSourceOverrides.set(arn, { status, since: now });
  }

  /** Before a domain disappears or changes, attachments to it are judged by what was true until now. */
  settleDataSource(arn: string, now: number): void {
    for (const entry of this.byId.values()) {
      const attachment = entry.attachments.get(arn);
      if (attachment) this.settle(entry.application, attachment, now);
    }
  }

  // ---- status -----------------------------------------------------------------------------

  private applicationStatus(application: Application, now: number): string {
    if (application.override) return application.override.status;
    return now < application.activeAt ? 'CREATING' : 'ACTIVE';
  }

  private activeSinceOrCreated(application: Application): number {
    return application.override?.since ?? application.activeAt;
  }

  private applicationActiveSince(application: Application, now: number): number | undefined {
    if (application.override) {
      return application.override.status === 'ACTIVE' ? application.override.since : undefined;
    }
    return now >= application.activeAt ? application.activeAt : undefined;
  }

  private dataSourceActiveSince(arn: string, now: number): number | undefined {
    const override = this.dataSourceOverrides.get(arn);
    if (override) return override.status === 'ACTIVE' ? override.since : undefined;
    if (!this.domains.isOwnDomainArn(arn)) return Number.NEGATIVE_INFINITY;
    const readyAt = this.domains.domainReadyAt(arn);
    return readyAt !== undefined && now >= readyAt ? readyAt : undefined;
  }

  /** A side marked FAILED fails pending attachments: that is AWS's "non-retryable error". */
  private failedSince(application: Application, arn: string): number | undefined {
    const candidates = [application.override, this.dataSourceOverrides.get(arn)]
      .filter((o): o is StatusOverride => o?.status === 'FAILED')
      .map((o) => o.since);
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  }

  private settle(application: Application, attachment: Attachment, now: number): void {
    if (attachment.resolved) return;
    const failedAt = this.failedSince(application, attachment.dataSourceArn);
    if (failedAt !== undefined) {
      attachment.resolved = { status: 'FAILED', at: Math.max(failedAt, attachment.createdAt) };
      return;
    }
    const appSince = this.applicationActiveSince(application, now);
    const sourceSince = this.dataSourceActiveSince(attachment.dataSourceArn, now);
    if (appSince !== undefined && sourceSince !== undefined) {
      const at = Math.max(appSince, sourceSince, attachment.createdAt);
      attachment.resolved =
        at < attachment.expiresAt
          ? { status: 'ATTACHED', at }
          : { status: 'FAILED', at: attachment.expiresAt };
    } else if (now >= attachment.expiresAt) {
      attachment.resolved = { status: 'FAILED', at: attachment.expiresAt };
    }
  }

  private attachmentStatus(attachment: Attachment): string {
    return attachment.resolved?.status ?? 'PENDING';
  }

  private attachmentView(application: Application, attachment: Attachment, now: number): JsonObject {
    this.settle(application, attachment, now);
    return {
      attachmentId: attachment.attachmentId,
      id: application.id,
      arn: application.arn,
      dataSourceArn: attachment.dataSourceArn,
      status: this.attachmentStatus(attachment),
    };
  }

  private createView(application: Application): JsonObject {
    return {
      id: application.id,
      name: application.name,
      arn: application.arn,
      dataSources: application.dataSources,
      iamIdentityCenterOptions: application.iamIdentityCenterOptions,
      appConfigs: application.appConfigs,
      tagList: application.tagList,
      createdAt: epochSeconds(application.createdAt),
      kmsKeyArn: application.kmsKeyArn,
    };
  }

  private lookup(idOrName: string): ApplicationEntry | undefined {
    return this.byId.get(idOrName) ?? this.byId.get(this.idByName.get(idOrName) ?? '');
  }

  private require(req: ServiceRequest): ApplicationEntry {
    const id = req.params.id ?? '';
    const entry = this.lookup(id);
    req.resource.applicationId = entry?.application.id ?? id;
    if (!entry) throw new AwsError('ResourceNotFoundException', 409, `Application ${id} not found`);
    return entry;
  }

  // ---- snapshot and persistence -----------------------------------------------------------

  snapshot(now: number): { applications: ApplicationSnapshot[]; attachments: AttachmentSnapshot[] } {
    const applications: ApplicationSnapshot[] = [];
    const attachments: AttachmentSnapshot[] = [];
    for (const entry of this.byId.values()) {
      const a = entry.application;
      applications.push({
        id: a.id,
        name: a.name,
        arn: a.arn,
        status: this.applicationStatus(a, now),
        createdAt: new Date(a.createdAt).toISOString(),
      });
      for (const attachment of entry.attachments.values()) {
        this.settle(a, attachment, now);
        attachments.push({
          attachmentId: attachment.attachmentId,
          applicationId: a.id,
          dataSourceArn: attachment.dataSourceArn,
          status: this.attachmentStatus(attachment),
          createdAt: new Date(attachment.createdAt).toISOString(),
          ...(attachment.workspaceId !== undefined ? { workspaceId: attachment.workspaceId } : {}),
          ...(attachment.workspaceConfiguration !== undefined
            ? { workspaceConfiguration: attachment.workspaceConfiguration }
            : {}),
        });
      }
    }
    return { applications, attachments };
  }

  dataSourceStatuses(): Record<string, string> {
    return Object.fromEntries([...this.dataSourceOverrides].map(([arn, o]) => [arn, o.status]));
  }

  save(): SavedApplications {
    return {
      applications: [...this.byId.values()].map((e) => ({
        ...e.application,
        attachments: [...e.attachments.values()],
        attachTokens: [...e.attachTokens],
      })),
      dataSourceOverrides: [...this.dataSourceOverrides],
    };
  }

  restore(saved: SavedApplications): void {
    this.reset();
    for (const { attachments, attachTokens, ...application } of saved.applications) {
      this.byId.set(application.id, {
        application,
        attachments: new Map(attachments.map((a) => [a.dataSourceArn, a])),
        attachTokens: new Map(attachTokens),
      });
      this.idByName.set(application.name, application.id);
      this.sequence = Math.max(this.sequence, application.sequence, ...attachments.map((a) => a.sequence));
    }
    for (const [arn, override] of saved.dataSourceOverrides) this.dataSourceOverrides.set(arn, override);
  }
}

function parseWorkspaceConfiguration(value: unknown): { name: string; workspaceType: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw validation('workspaceConfiguration must be an object');
  const raw = value as Record<string, unknown>;
  const name = requiredString(raw.name, 'workspaceConfiguration.name', WORKSPACE_NAME);
  const workspaceType = oneOf(
    requiredString(raw.workspaceType, 'workspaceConfiguration.workspaceType'),
    'workspaceConfiguration.workspaceType',
    WORKSPACE_TYPES,
  );
  return { name, workspaceType };
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function newApplicationId(): string {
  const bytes = randomBytes(20);
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

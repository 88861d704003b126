/**
 * The contract other languages build on: for each workflow, its type name, the schema of its input
 * (the very zod schema the client and the workflow validate with) and schemas of its result and
 * progress. Results and progress are TypeScript interfaces in src/model; the zod mirrors below are
 * checked against them at compile time (`Same<...>`), so a changed interface that is not mirrored
 * here fails `tsc`, and `npm run schemas -- --check` fails CI until schemas/*.json are regenerated.
 */
import { z } from 'zod';
import { WorkflowTypes, type WorkflowType } from '../model/constants.js';
import {
  dictionaryRolloutInput,
  type DictionaryRolloutProgress,
  type DictionaryRolloutResult,
  type DomainOutcome,
} from '../model/dictionary-rollout.js';
import {
  dataSourceAttachmentInput,
  workspaceTypes,
  type DataSourceAttachmentProgress,
  type DataSourceAttachmentResult,
} from '../model/data-source-attachment.js';
import {
  iotPackageReleaseInput,
  iotPublishModes,
  type IotPackageReleaseProgress,
  type IotPackageReleaseResult,
} from '../model/iot-package-release.js';
import {
  packageRemovalInput,
  type PackageRemovalProgress,
  type PackageRemovalResult,
  type RemovalDomainOutcome,
} from '../model/package-removal.js';
import {
  dataSourceAttachmentMessages,
  dictionaryRolloutMessages,
  iotPackageReleaseMessages,
  packageRemovalMessages,
} from '../workflows/messages.js';

/** true when A and B are assignable both ways (optional vs `| undefined` compare equal). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function mirrors<_T extends true>(): void {}

const errorSummary = z.object({ type: z.string(), message: z.string() });
const epochMs = z.number().describe('milliseconds since the Unix epoch');

// ---- dictionaryRollout -----------------------------------------------------------------------

const domainState = z.enum([
  'pending',
  'skipped',
  'associating',
  'current',
  'failed',
  'not-started',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
]);
const domainOutcome = z.object({
  domain: z.string(),
  state: domainState,
  wave: z.number().int().describe('0-based wave index; -1 before planning'),
  previousVersion: z.string().optional().describe('the version before this run; absent = no association'),
  version: z.string().optional(),
  referencePath: z
    .string()
    .optional()
    .describe(
      "AWS's ReferencePath on this domain (analyzers/<PackageID>): what analyzers use as synonyms_path",
    ),
  startedAt: epochMs.optional(),
  finishedAt: epochMs.optional(),
  error: errorSummary.optional(),
});
mirrors<Same<z.output<typeof domainOutcome>, DomainOutcome>>();

const rolloutPhase = z.enum([
  'validating',
  'staging',
  'packaging',
  'waiting-for-package',
  'planning',
  'associating',
  'waiting-for-approval',
  'paused',
  'pausing-between-waves',
  'rolling-back',
  'done',
]);

export const dictionaryRolloutProgressSchema = z.object({
  phase: rolloutPhase,
  packageName: z.string(),
  packageId: z.string().optional(),
  targetVersion: z.string().optional(),
  contentSha256: z.string().optional(),
  waves: z.array(z.array(z.string())),
  currentWave: z.number().int(),
  paused: z.boolean(),
  awaitingApproval: z.boolean(),
  domains: z.array(domainOutcome),
});
mirrors<Same<z.output<typeof dictionaryRolloutProgressSchema>, DictionaryRolloutProgress>>();

export const dictionaryRolloutResultSchema = z.object({
  outcome: z.enum(['succeeded', 'unchanged', 'partial', 'failed', 'rolled-back', 'cancelled', 'dry-run']),
  packageName: z.string(),
  packageId: z.string(),
  targetVersion: z.string().describe('e.g. "v3"'),
  referencePath: z.string().describe('what analyzers reference (synonyms_path): analyzers/<PackageID>'),
  contentSha256: z.string(),
  packageChange: z.enum(['created', 'updated', 'unchanged']),
  stagedObject: z.object({ bucket: z.string(), key: z.string(), sizeBytes: z.number() }),
  waves: z.number().int(),
  counts: z.object({
    current: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    notStarted: z.number().int(),
    rolledBack: z.number().int(),
  }),
  domains: z.array(domainOutcome),
  startedAt: epochMs,
  finishedAt: epochMs,
  notes: z.array(z.string()),
});
mirrors<Same<z.output<typeof dictionaryRolloutResultSchema>, DictionaryRolloutResult>>();

// ---- packageRemoval --------------------------------------------------------------------------

const removalDomainOutcome = z.object({
  domain: z.string(),
  state: z.enum(['pending', 'dissociating', 'dissociated', 'not-associated', 'failed']),
  previousVersion: z.string().optional(),
  error: errorSummary.optional(),
  startedAt: epochMs.optional(),
  finishedAt: epochMs.optional(),
});
mirrors<Same<z.output<typeof removalDomainOutcome>, RemovalDomainOutcome>>();

export const packageRemovalResultSchema = z.object({
  outcome: z.enum(['removed', 'already-removed', 'partial', 'failed']),
  packageName: z.string().optional(),
  packageId: z.string().optional(),
  packageDeletion: z.enum(['deleted', 'already-deleted', 'kept', 'failed', 'not-requested']),
  keptBecause: z.string().optional(),
  domains: z.array(removalDomainOutcome),
  counts: z.object({
    dissociated: z.number().int(),
    notAssociated: z.number().int(),
    failed: z.number().int(),
  }),
  startedAt: epochMs,
  finishedAt: epochMs,
});
mirrors<Same<z.output<typeof packageRemovalResultSchema>, PackageRemovalResult>>();

export const packageRemovalProgressSchema = z.object({
  phase: z.enum(['resolving', 'dissociating', 'deleting', 'done']),
  packageId: z.string().optional(),
  domains: z.array(removalDomainOutcome),
});
mirrors<Same<z.output<typeof packageRemovalProgressSchema>, PackageRemovalProgress>>();

// ---- iotPackageRelease -----------------------------------------------------------------------

const iotVersionStatus = z.enum(['DRAFT', 'PUBLISHED', 'DEPRECATED']);
const iotApproval = z.object({
  approvedBy: z.string().optional(),
  approvedAt: epochMs,
});
const iotReleaseSteps = z.object({
  package: z.enum(['created', 'existed', 'pending']),
  version: z.enum(['created', 'existed', 'pending']),
  publish: z.enum(['published', 'already-published', 'not-requested', 'skipped-deprecated', 'pending']),
  default: z.enum([
    'set',
    'already-default',
    'not-requested',
    'left-to-newer-version',
    'skipped-deprecated',
    'pending',
  ]),
  deprecated: z.array(z.string()).describe('versions this run deprecated'),
});

export const iotPackageReleaseProgressSchema = z.object({
  phase: z.enum([
    'validating',
    'ensuring-package',
    'creating-version',
    'waiting-for-approval',
    'publishing',
    'setting-default',
    'deprecating',
    'done',
    'failed',
  ]),
  packageName: z.string(),
  versionName: z.string(),
  publish: z.enum(iotPublishModes),
  versionStatus: iotVersionStatus.optional(),
  awaitingApproval: z.boolean(),
  approval: iotApproval.optional(),
  steps: iotReleaseSteps,
  error: errorSummary.optional(),
});
mirrors<Same<z.output<typeof iotPackageReleaseProgressSchema>, IotPackageReleaseProgress>>();

export const iotPackageReleaseResultSchema = z.object({
  outcome: z
    .enum(['changed', 'unchanged'])
    .describe('changed: this run made at least one change in AWS; unchanged: every step was already done'),
  packageName: z.string(),
  versionName: z.string(),
  packageVersionArn: z.string().optional(),
  versionStatus: iotVersionStatus,
  defaultVersionName: z.string().optional(),
  steps: iotReleaseSteps,
  approval: iotApproval.optional(),
  notes: z.array(z.string()),
  startedAt: epochMs,
  finishedAt: epochMs,
});
mirrors<Same<z.output<typeof iotPackageReleaseResultSchema>, IotPackageReleaseResult>>();

// ---- dataSourceAttachment --------------------------------------------------------------------

const attachmentWorkspace = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('existing'), workspaceId: z.string() }),
  z.object({ kind: z.literal('new'), name: z.string(), workspaceType: z.enum(workspaceTypes) }),
]);
const attachmentApplication = z.object({
  id: z.string(),
  name: z.string().optional(),
  arn: z.string().optional(),
  status: z.string().optional().describe('as last seen: CREATING, ACTIVE, UPDATING, DELETING, FAILED'),
});
const attachmentStatus = z.enum(['PENDING', 'ATTACHED', 'FAILED']);

export const dataSourceAttachmentProgressSchema = z.object({
  phase: z.enum(['resolving-application', 'attaching', 'waiting', 'confirming', 'done']),
  application: z.union([attachmentApplication, z.object({ ref: z.string() })]),
  dataSourceArn: z.string(),
  workspace: attachmentWorkspace,
  attachmentId: z.string().optional(),
  status: attachmentStatus.optional(),
  requestedAt: epochMs.optional(),
  waitDeadline: epochMs.optional(),
  outcome: z.enum(['attached', 'failed', 'wait-limit-exceeded']).optional(),
  error: errorSummary.optional(),
});
mirrors<Same<z.output<typeof dataSourceAttachmentProgressSchema>, DataSourceAttachmentProgress>>();

export const dataSourceAttachmentResultSchema = z.object({
  status: z.literal('ATTACHED'),
  attachmentId: z.string(),
  application: attachmentApplication,
  dataSourceArn: z.string(),
  dataSourceKind: z.enum(['domain', 'collection']),
  workspace: attachmentWorkspace,
  attachedOnRequest: z.boolean(),
  polls: z.number().int(),
  startedAt: epochMs,
  requestedAt: epochMs,
  attachedAt: epochMs,
  finishedAt: epochMs,
});
mirrors<Same<z.output<typeof dataSourceAttachmentResultSchema>, DataSourceAttachmentResult>>();

// ---- the contract ----------------------------------------------------------------------------

export interface WorkflowContract {
  workflowType: WorkflowType;
  /** File stem under schemas/: `<stem>.input.schema.json`, `.result.`, `.progress.`. */
  stem: string;
  /** How the TypeScript client derives workflow ids (other callers should do the same). */
  workflowId: string;
  input: z.ZodType;
  result: z.ZodType;
  progress: z.ZodType;
  /** Query name -> what it returns; update/signal names -> their argument. */
  messages: { queries: string[]; updates: string[]; signals: string[] };
}

/** The names of a workflow's message definitions, by kind. */
function messageNames(
  definitions: Record<string, { type: 'query' | 'update' | 'signal'; name: string }>,
): WorkflowContract['messages'] {
  const named = (type: 'query' | 'update' | 'signal') =>
    Object.values(definitions)
      .filter((d) => d.type === type)
      .map((d) => d.name);
  return { queries: named('query'), updates: named('update'), signals: named('signal') };
}

export const WORKFLOW_CONTRACTS: WorkflowContract[] = [
  {
    workflowType: WorkflowTypes.dictionaryRollout,
    stem: 'dictionary-rollout',
    workflowId: 'dictionary-rollout/<packageName>',
    input: dictionaryRolloutInput,
    result: dictionaryRolloutResultSchema,
    progress: dictionaryRolloutProgressSchema,
    messages: messageNames(dictionaryRolloutMessages),
  },
  {
    workflowType: WorkflowTypes.packageRemoval,
    stem: 'package-removal',
    workflowId: 'package-removal/<packageName or packageId>',
    input: packageRemovalInput,
    result: packageRemovalResultSchema,
    progress: packageRemovalProgressSchema,
    messages: messageNames(packageRemovalMessages),
  },
  {
    workflowType: WorkflowTypes.dataSourceAttachment,
    stem: 'data-source-attachment',
    workflowId: 'data-source-attachment/<applicationId or applicationName>/<dataSourceArn>',
    input: dataSourceAttachmentInput,
    result: dataSourceAttachmentResultSchema,
    progress: dataSourceAttachmentProgressSchema,
    messages: messageNames(dataSourceAttachmentMessages),
  },
  {
    workflowType: WorkflowTypes.iotPackageRelease,
    stem: 'iot-package-release',
    workflowId: 'iot-package-release/<packageName>/<versionName>',
    input: iotPackageReleaseInput,
    result: iotPackageReleaseResultSchema,
    progress: iotPackageReleaseProgressSchema,
    messages: messageNames(iotPackageReleaseMessages),
  },
];

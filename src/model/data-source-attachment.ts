import { z } from 'zod';
import { callPriority } from './call-priority.js';
import { notificationReport, notificationsInput } from './health-gates.js';
import { workspaceName } from './aws-rules.js';
import { epochMs, failureSummary } from './failures.js';

/**
 * Data source attachment: AttachDataSource, then a durable wait until AWS reports ATTACHED or
 * FAILED. AWS itself marks an attachment FAILED when it is still PENDING 24 hours after the
 * request, so waiting longer than that can never help: 24 hours is both the default and the cap.
 */
export const ATTACHMENT_WAIT_LIMIT_MAX_SECONDS = 24 * 60 * 60;
export const ATTACHMENT_POLL_INTERVAL_DEFAULT_SECONDS = 30;

/** AWS's pattern for the application `id` in every application route. */
export const opensearchApplicationId = z
  .string()
  .regex(/^[a-z0-9]{3,30}$/, 'must be 3-30 characters of a-z and 0-9 (AWS application id rule)');

/** CreateApplication's name rule. */
export const opensearchApplicationName = z
  .string()
  .min(3, 'must be at least 3 characters (AWS application name rule: 3-30)')
  .max(30, 'must be at most 30 characters (AWS application name rule: 3-30)')
  .regex(
    /^[a-z][a-z0-9-]+$/,
    "must start with a-z and contain only a-z, 0-9 and '-' (AWS application name rule)",
  );

// Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ... Regions: us-east-1, us-gov-west-1, ...
const PARTITION = 'aws(?:-[a-z]+)*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';
const ACCOUNT = '\\d{12}';
/** An OpenSearch Service domain (domain name rule: 3-28 of a-z, 0-9, '-', starting with a letter). */
export const DOMAIN_ARN = new RegExp(
  `^arn:${PARTITION}:es:${REGION}:${ACCOUNT}:domain/[a-z][a-z0-9-]{2,27}$`,
);
/** An OpenSearch Serverless collection (collection id rule: 3-40 of a-z and 0-9). */
export const COLLECTION_ARN = new RegExp(
  `^arn:${PARTITION}:aoss:${REGION}:${ACCOUNT}:collection/[a-z0-9]{3,40}$`,
);

export const dataSourceArn = z
  .string()
  .refine(
    (arn) => DOMAIN_ARN.test(arn) || COLLECTION_ARN.test(arn),
    'must be an OpenSearch domain ARN (arn:aws:es:<region>:<account>:domain/<domain-name>) or an ' +
      'OpenSearch Serverless collection ARN (arn:aws:aoss:<region>:<account>:collection/<collection-id>)',
  );

export function dataSourceKind(arn: string): 'domain' | 'collection' {
  return COLLECTION_ARN.test(arn) ? 'collection' : 'domain';
}

export const workspaceTypes = ['OBSERVABILITY', 'SECURITY_ANALYTICS', 'SEARCH'] as const;
export type WorkspaceType = (typeof workspaceTypes)[number];

/** Field names as in AWS's WorkspaceConfigurationInput, so the AWS docs read the same. */
export const workspaceConfiguration = z
  .object({
    name: workspaceName,
    workspaceType: z.enum(workspaceTypes, {
      error: `must be one of ${workspaceTypes.join(', ')} (AWS workspaceType)`,
    }),
  })
  .strict();

export const dataSourceAttachmentInput = z
  .object({
    /** The application, by id or by name (exactly one). A name is resolved to its id first. */
    applicationId: opensearchApplicationId.optional(),
    applicationName: opensearchApplicationName.optional(),
    dataSourceArn,
    /** Add the data source to this existing workspace... */
    workspaceId: z
      .string()
      .min(1, 'must not be empty')
      .max(256, 'must be at most 256 characters')
      .regex(/^[^\s\p{Cc}]+$/u, 'must not contain spaces or control characters')
      .optional(),
    /** ...or create a new workspace for it once attached. Never both; neither is allowed (AWS allows it). */
    workspaceConfiguration: workspaceConfiguration.optional(),
    /** How long to wait for ATTACHED. Default and maximum: AWS's own 24 hours. */
    waitLimitSeconds: z
      .number()
      .min(1, 'must be at least 1 second')
      .max(
        ATTACHMENT_WAIT_LIMIT_MAX_SECONDS,
        `must be at most ${ATTACHMENT_WAIT_LIMIT_MAX_SECONDS} (24 hours: AWS marks an attachment FAILED when still PENDING after 24 hours)`,
      )
      .default(ATTACHMENT_WAIT_LIMIT_MAX_SECONDS),
    /** Time between two DescribeDataSourceAttachment calls while PENDING. */
    pollIntervalSeconds: z
      .number()
      .min(0.05, 'must be at least 0.05 seconds')
      .max(3600, 'must be at most 3600 seconds')
      .default(ATTACHMENT_POLL_INTERVAL_DEFAULT_SECONDS),
    /** Webhook events (docs/health-gates.md): started and finished. */
    notifications: notificationsInput.optional(),
    /** Task queue priority of the run's AWS calls (call-priority.ts). */
    priority: callPriority.default(callPriority.parse({})),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (Boolean(input.applicationId) === Boolean(input.applicationName))
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of applicationId or applicationName',
        path: ['applicationId'],
      });
    if (input.workspaceId !== undefined && input.workspaceConfiguration !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'give workspaceId or workspaceConfiguration, not both (AWS: mutually exclusive)',
        path: ['workspaceConfiguration'],
      });
    if (input.pollIntervalSeconds > input.waitLimitSeconds)
      ctx.addIssue({
        code: 'custom',
        message: `must not exceed waitLimitSeconds (${input.waitLimitSeconds})`,
        path: ['pollIntervalSeconds'],
      });
  });
/** What callers send (defaults optional). */
export type DataSourceAttachmentInput = z.input<typeof dataSourceAttachmentInput>;
/** What the workflow works with (defaults filled in). */
export type DataSourceAttachmentParams = z.output<typeof dataSourceAttachmentInput>;

export const attachmentWorkspace = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('existing'), workspaceId: z.string() }),
  z.object({ kind: z.literal('new'), name: z.string(), workspaceType: z.enum(workspaceTypes) }),
]);
export type AttachmentWorkspace = z.infer<typeof attachmentWorkspace>;

export function workspaceOf(p: {
  workspaceId?: string | undefined;
  workspaceConfiguration?: { name: string; workspaceType: WorkspaceType } | undefined;
}): AttachmentWorkspace {
  if (p.workspaceId !== undefined) return { kind: 'existing', workspaceId: p.workspaceId };
  if (p.workspaceConfiguration !== undefined) return { kind: 'new', ...p.workspaceConfiguration };
  return { kind: 'none' };
}

export function describeWorkspace(w: AttachmentWorkspace): string {
  if (w.kind === 'existing') return `existing workspace ${w.workspaceId}`;
  if (w.kind === 'new') return `new ${w.workspaceType} workspace "${w.name}"`;
  return 'no workspace';
}

/** The application as the caller named it: id or name. */
export function applicationRef(p: { applicationId?: string; applicationName?: string }): string {
  return p.applicationId ?? p.applicationName ?? '';
}

/** Just the application fields, without undefined ones (activity arguments, memo). */
export function applicationSelector(p: {
  applicationId?: string | undefined;
  applicationName?: string | undefined;
}): { applicationId: string } | { applicationName: string } {
  return p.applicationId !== undefined
    ? { applicationId: p.applicationId }
    : { applicationName: p.applicationName ?? '' };
}

// ---- identity ------------------------------------------------------------------------------

/**
 * One run per (application, data source) at a time: a second start for the same pair joins the
 * running one (see src/client/data-source-attachment.ts). The application appears as the caller
 * named it, so a start by name and one by id are two runs; AWS's per-pair idempotency still gives
 * both the same single attachment.
 */
export function dataSourceAttachmentWorkflowId(p: {
  applicationId?: string;
  applicationName?: string;
  dataSourceArn: string;
}): string {
  return `data-source-attachment/${applicationRef(p)}/${p.dataSourceArn}`;
}

/**
 * AttachDataSource's clientToken (1-64 chars). It comes from the run's first execution id: the
 * same across activity retries, worker restarts and replays of one run (so a retry after a lost
 * response is answered from AWS's idempotency record), and fresh for a later run, which must not
 * be mistaken for a retry of an old request (e.g. after a detach).
 */
export function attachmentClientToken(firstExecutionRunId: string): string {
  return `dsa-${firstExecutionRunId}`.slice(0, 64);
}

// ---- progress and result -------------------------------------------------------------------

// Declared once (zod, for the JSON Schemas), the types derived.

export const attachmentStatus = z.enum(['PENDING', 'ATTACHED', 'FAILED']);
export type AttachmentStatus = z.infer<typeof attachmentStatus>;

export const attachmentPhase = z.enum([
  'resolving-application',
  'attaching',
  'waiting',
  'confirming', // the wait limit was reached: one last look before reporting it
  'done',
]);
export type AttachmentPhase = z.infer<typeof attachmentPhase>;

export const attachmentApplication = z.object({
  id: z.string(),
  name: z.string().optional(),
  arn: z.string().optional(),
  status: z.string().optional().describe('as last seen: CREATING, ACTIVE, UPDATING, DELETING, FAILED'),
});
export type AttachmentApplication = z.infer<typeof attachmentApplication>;

export const dataSourceAttachmentProgress = z.object({
  phase: attachmentPhase,
  application: z.union([attachmentApplication, z.object({ ref: z.string() })]),
  dataSourceArn: z.string(),
  workspace: attachmentWorkspace,
  attachmentId: z.string().optional(),
  status: attachmentStatus.optional(),
  requestedAt: epochMs.optional().describe('when AttachDataSource answered'),
  waitDeadline: epochMs
    .optional()
    .describe('when the wait ends with AttachmentWaitLimitExceeded at the latest'),
  outcome: z.enum(['attached', 'failed', 'wait-limit-exceeded']).optional(),
  error: failureSummary.optional(),
});
export type DataSourceAttachmentProgress = z.infer<typeof dataSourceAttachmentProgress>;

export const dataSourceAttachmentResult = z.object({
  status: z.literal('ATTACHED'),
  attachmentId: z.string(),
  application: attachmentApplication,
  dataSourceArn: z.string(),
  dataSourceKind: z.enum(['domain', 'collection']),
  workspace: attachmentWorkspace,
  attachedOnRequest: z
    .boolean()
    .describe(
      'true when AttachDataSource answered ATTACHED at once (both sides ACTIVE, or already attached)',
    ),
  polls: z
    .number()
    .int()
    .describe('DescribeDataSourceAttachment calls made while PENDING (0 when attached on request)'),
  startedAt: epochMs,
  requestedAt: epochMs,
  attachedAt: epochMs,
  finishedAt: epochMs,
  notifications: notificationReport.optional().describe('notifications sent, and those not delivered'),
});
export type DataSourceAttachmentResult = z.infer<typeof dataSourceAttachmentResult>;

/** What FAILED means: AWS's API carries no reason field, so the failure says what AWS documents. */
export const ATTACHMENT_FAILED_REASON =
  'AWS marks an attachment FAILED when it is still PENDING 24 hours after the request, or on a ' +
  'non-retryable error (e.g. the application or the data source failed or was deleted)';

/** details[0] of AttachmentFailed and AttachmentWaitLimitExceeded failures. */
export interface AttachmentFailureDetails {
  applicationId: string;
  applicationStatus?: string;
  dataSourceArn: string;
  attachmentId?: string;
  status: AttachmentStatus;
  /** AWS reports no reason field; this says what FAILED means, or why the wait stopped. */
  reason: string;
  requestedAt?: number;
  waitedSeconds?: number;
}

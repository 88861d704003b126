import { z } from 'zod';

/**
 * Stable `ApplicationFailure.type` values. Callers (the client, the CLI, services in other
 * languages) branch on these strings, so they are part of the contract: add, never rename.
 */
export const FailureTypes = {
  /** Input broke a rule; details: { issues: [{ field, rule }] }. Nothing was changed in AWS. */
  InvalidInput: 'InvalidInput',
  /** A poll found the resource not ready yet. Benign and retried: never ends a workflow. */
  NotReady: 'NotReady',
  /** The dictionary source could not be read or is not a valid dictionary (empty, not UTF-8, too big). */
  InvalidSource: 'InvalidSource',
  /** OpenSearch rejected the package file: COPY_FAILED / VALIDATION_FAILED, with AWS's ErrorDetails. */
  PackageCopyFailed: 'PackageCopyFailed',
  PackageValidationFailed: 'PackageValidationFailed',
  /** A domain ended in ASSOCIATION_FAILED. */
  AssociationFailed: 'AssociationFailed',
  /** A domain did not reach ACTIVE at the target version before its deadline. */
  AssociationDeadlineExceeded: 'AssociationDeadlineExceeded',
  /** An index on the domain still uses the package: move it off the analyzer first. */
  PackageInUse: 'PackageInUse',
  DissociationFailed: 'DissociationFailed',
  /** DeletePackage was accepted but the package ended DELETE_FAILED (or never went away). */
  PackageDeleteFailed: 'PackageDeleteFailed',
  /** A domain of a rollback-policy run could not be put back (per-domain error type). */
  RollbackFailed: 'RollbackFailed',
  /** The rollout ended with failed domains (halt / continue / rollback policies). */
  RolloutFailed: 'RolloutFailed',
  /**
   * The rollout was cancelled; details hold its result (where each domain stands). Temporal's
   * Cancelled status carries no details, so a graceful cancel ends Failed with this type.
   */
  RolloutCancelled: 'RolloutCancelled',
  /** A second rollout for the same package while one runs. */
  RolloutAlreadyRunning: 'RolloutAlreadyRunning',
  AttachmentFailed: 'AttachmentFailed',
  AttachmentWaitLimitExceeded: 'AttachmentWaitLimitExceeded',
  /** An IoT version with this name exists with other content. */
  IotVersionConflict: 'IotVersionConflict',
  /** AWS errors that retrying cannot fix (AccessDenied, Validation, LimitExceeded, NotFound, ...). */
  AwsRequestRejected: 'AwsRequestRejected',
  /** An update its validator refused (the message says why); the run goes on untouched. */
  UpdateRefused: 'UpdateRefused',
  /** A domain's data plane: timeout, connection refused or reset, 429, 5xx (retried, then the domain's failure). */
  DataPlaneUnreachable: 'DataPlaneUnreachable',
  /** 401/403 from a domain: its access policy (or fine-grained access control) does not admit the worker. */
  DataPlaneAccessDenied: 'DataPlaneAccessDenied',
  DataPlaneIndexNotFound: 'DataPlaneIndexNotFound',
  /** Other 4xx from a domain's data plane: the request itself is wrong; retrying cannot fix it. */
  DataPlaneRequestRejected: 'DataPlaneRequestRejected',
  /** `_refresh_search_analyzers` reported failed shards (the new file does not parse, say). */
  AnalyzerRefreshFailed: 'AnalyzerRefreshFailed',
  /** `_open` failed to build the index's analyzers: the index stays closed until the file is fixed. */
  IndexReopenFailed: 'IndexReopenFailed',
  /** The pre-flight check found a rule OpenSearch would refuse; details name the line and rule. Nothing changed in AWS. */
  InvalidDictionary: 'InvalidDictionary',
  /** A probe gave other tokens than expected, or the cluster was red; details hold expected and actual. */
  VerificationFailed: 'VerificationFailed',
  /** A health gate failed: an alarm fired, or a webhook gate did not answer 2xx after its retries. */
  GateFailed: 'GateFailed',
  /** A notification could not be delivered after its retries (reported, never fails a rollout). */
  NotificationFailed: 'NotificationFailed',
  /** A plugin's engine version differs from a target domain's (plugin rollout; nothing was changed). */
  EngineVersionMismatch: 'EngineVersionMismatch',
  /** A target domain has a configuration change in progress (plugin rollout pre-flight; nothing was changed). */
  DomainChangeInProgress: 'DomainChangeInProgress',
  /** A domain's blue/green deployment ended FAILED. */
  DeploymentFailed: 'DeploymentFailed',
  /** A target's place (Region, role) cannot be reached: the role cannot be assumed, or the worker serves no other place. */
  PlaceUnreachable: 'PlaceUnreachable',
} as const;
export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];

/** What a failure carries about the AWS call behind it, for the Web UI and for callers. */
export const awsErrorDetails = z.object({
  service: z.enum(['es', 'iot', 's3', 'https', 'monitoring', 'sts']),
  operation: z.string(),
  code: z.string(),
  message: z.string(),
  requestId: z.string().optional(),
  httpStatus: z.number().int().optional(),
  domain: z.string().optional(),
  packageId: z.string().optional(),
});
export type AwsErrorDetails = z.infer<typeof awsErrorDetails>;

/**
 * A failure as a result or progress carries it: its stable type, its message, and AWS's error
 * details (code, message, request id, domain) when an AWS call was refused.
 */
export const failureSummary = z.object({
  type: z.string(),
  message: z.string(),
  aws: awsErrorDetails.optional(),
});
export type FailureSummary = z.infer<typeof failureSummary>;

/** Milliseconds since the Unix epoch (workflow time inside workflows). */
export const epochMs = z.number().describe('milliseconds since the Unix epoch');

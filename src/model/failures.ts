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
  /** A plugin's engine version differs from a target domain's (plugin rollout; nothing was changed). */
  EngineVersionMismatch: 'EngineVersionMismatch',
  /** A target domain has a configuration change in progress (plugin rollout pre-flight; nothing was changed). */
  DomainChangeInProgress: 'DomainChangeInProgress',
  /** A domain's blue/green deployment ended FAILED. */
  DeploymentFailed: 'DeploymentFailed',
} as const;
export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];

/** What a failure carries about the AWS call behind it, for the Web UI and for callers. */
export const awsErrorDetails = z.object({
  service: z.enum(['es', 'iot', 's3', 'https']),
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

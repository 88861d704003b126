/**
 * One activity per OpenSearch Service package API call (find, create, update, wait until
 * AVAILABLE, list, associate, wait, dissociate, wait, delete, wait until deleted), each with its
 * error mapping. Over 400 lines because they share the row reading, the lost-answer checks and the
 * error helpers at the top, which belong with the calls that use them. Each takes an optional
 * `place` (fleets: another Region and/or account) and calls with that place's clients.
 */
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DeletePackageCommand,
  DescribePackagesCommand,
  DissociatePackageCommand,
  ListDomainsForPackageCommand,
  UpdatePackageCommand,
  type DomainPackageDetails,
  type PackageDetails,
  type PackageType,
} from '@aws-sdk/client-opensearch';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { markerIn } from '../model/dictionary-rollout.js';
import { FailureTypes } from '../model/failures.js';
import type {
  AssociationStatus,
  DissociationStatus,
  DomainPackageRow,
  PackageSummary,
} from '../model/opensearch-packages.js';
import { awsErrorCode, awsErrorDetails, isAwsError, toActivityFailure } from './aws-errors.js';
import { isThrottlingCode } from './throttle-backoff.js';
import { awsClientsFor, type ActivityDeps, type AtPlace } from './deps.js';
import type { Place } from '../model/place.js';
import type { OpenSearchClient } from '@aws-sdk/client-opensearch';
import { notReady } from './polling.js';

export type { DomainPackageRow, PackageSummary } from '../model/opensearch-packages.js';

function summarize(p: PackageDetails): PackageSummary {
  return {
    packageId: p.PackageID!,
    packageName: p.PackageName!,
    packageType: p.PackageType ?? 'TXT-DICTIONARY',
    status: p.PackageStatus ?? 'UNKNOWN',
    availableVersion: p.AvailablePackageVersion,
    contentSha256: markerIn(p.PackageDescription),
    description: p.PackageDescription,
    ...(p.ErrorDetails
      ? { error: { type: p.ErrorDetails.ErrorType ?? 'Error', message: p.ErrorDetails.ErrorMessage ?? '' } }
      : {}),
  };
}

function row(d: DomainPackageDetails): DomainPackageRow {
  return {
    domain: d.DomainName!,
    status: d.DomainPackageStatus ?? 'UNKNOWN',
    version: d.PackageVersion,
    referencePath: d.ReferencePath,
    ...(d.ErrorDetails
      ? { error: { type: d.ErrorDetails.ErrorType ?? 'Error', message: d.ErrorDetails.ErrorMessage ?? '' } }
      : {}),
  };
}

const ALREADY_IN_DESIRED_STATE = /already in desired state/i;

/** The attempt number of the current activity, 1 outside an activity (plain unit tests). */
function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * OpenSearch Service custom packages. One AWS call per activity (the lookups that resolve a lost
 * response aside); waits are activities that read once and throw NotReady, polled by retry.
 */
export function createOpenSearchPackageActivities(deps: ActivityDeps) {
  /** The clients of the call's place (fleets), the worker's own when it names none. */
  const clientsAt = (place: Place | undefined) => awsClientsFor(deps, place);

  async function describeBy(
    opensearch: OpenSearchClient,
    name: 'PackageName' | 'PackageID',
    value: string,
  ): Promise<PackageSummary | null> {
    try {
      const out = await opensearch.send(
        new DescribePackagesCommand({ Filters: [{ Name: name, Value: [value] }], MaxResults: 100 }),
      );
      const match = (out.PackageDetailsList ?? []).find((p) =>
        name === 'PackageName' ? p.PackageName === value : p.PackageID === value,
      );
      return match ? summarize(match) : null;
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toActivityFailure(err, { service: 'es', operation: 'DescribePackages' });
    }
  }

  async function listRows(opensearch: OpenSearchClient, packageId: string): Promise<DomainPackageRow[]> {
    const rows: DomainPackageRow[] = [];
    let NextToken: string | undefined;
    do {
      try {
        const out = await opensearch.send(
          new ListDomainsForPackageCommand({ PackageID: packageId, MaxResults: 100, NextToken }),
        );
        rows.push(...(out.DomainPackageDetailsList ?? []).map(row));
        NextToken = out.NextToken;
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) return rows;
        throw toActivityFailure(err, { service: 'es', operation: 'ListDomainsForPackage', packageId });
      }
    } while (NextToken);
    return rows;
  }

  return {
    async findPackageByName(
      input: AtPlace & {
        packageName: string;
      },
    ): Promise<PackageSummary | null> {
      const { opensearch } = await clientsAt(input.place);
      return describeBy(opensearch, 'PackageName', input.packageName);
    },

    async describePackage(
      input: AtPlace & {
        packageId: string;
      },
    ): Promise<PackageSummary | null> {
      const { opensearch } = await clientsAt(input.place);
      return describeBy(opensearch, 'PackageID', input.packageId);
    },

    /**
     * CreatePackage has no client token: when a retry meets ResourceAlreadyExistsException, the
     * first attempt's response was lost (or someone else created it); the lookup by name answers
     * with the one package there is.
     */
    async createPackage(
      input: AtPlace & {
        packageName: string;
        packageType: string;
        description: string;
        bucket: string;
        key: string;
      },
    ): Promise<PackageSummary> {
      const { opensearch } = await clientsAt(input.place);
      try {
        const out = await opensearch.send(
          new CreatePackageCommand({
            PackageName: input.packageName,
            PackageType: input.packageType as PackageType,
            PackageDescription: input.description,
            PackageSource: { S3BucketName: input.bucket, S3Key: input.key },
          }),
        );
        return summarize(out.PackageDetails!);
      } catch (err) {
        if (isAwsError(err, 'ResourceAlreadyExistsException')) {
          const existing = await describeBy(opensearch, 'PackageName', input.packageName);
          if (existing) return existing;
        }
        throw toActivityFailure(err, { service: 'es', operation: 'CreatePackage' });
      }
    },

    /**
     * UpdatePackage creates a new version each time it is called. A retry after a lost response
     * would make a second version of the same content, so the call is sent once (no SDK resend)
     * and both a failed call and a retry of the activity first check whether the package already
     * carries this content's marker — then the earlier call took effect.
     */
    async updatePackage(
      input: AtPlace & {
        packageId: string;
        description: string;
        commitMessage: string;
        sha256: string;
        bucket: string;
        key: string;
      },
    ): Promise<PackageSummary> {
      const { opensearch, opensearchSingleAttempt } = await clientsAt(input.place);
      if (attempt() > 1) {
        const current = await describeBy(opensearch, 'PackageID', input.packageId);
        if (current?.contentSha256 === input.sha256) return current;
      }
      try {
        const out = await opensearchSingleAttempt.send(
          new UpdatePackageCommand({
            PackageID: input.packageId,
            PackageDescription: input.description,
            CommitMessage: input.commitMessage,
            PackageSource: { S3BucketName: input.bucket, S3Key: input.key },
          }),
        );
        return summarize(out.PackageDetails!);
      } catch (err) {
        // A lost response (5xx after the change) or "is COPYING" from our own earlier call.
        // A throttled call was refused whole: no read to see whether it took effect.
        const current = isThrottlingCode(awsErrorCode(err))
          ? null
          : await describeBy(opensearch, 'PackageID', input.packageId).catch(() => null);
        if (current?.contentSha256 === input.sha256) return current;
        throw toActivityFailure(err, {
          service: 'es',
          operation: 'UpdatePackage',
          packageId: input.packageId,
        });
      }
    },

    /** Polled by retry until AVAILABLE with this content; COPY_FAILED / VALIDATION_FAILED are final. */
    async waitForPackageAvailable(
      input: AtPlace & {
        packageId: string;
        sha256: string;
        /** After an UpdatePackage: the version before it, which must not count as the new one. */
        notVersion?: string;
      },
    ): Promise<PackageSummary> {
      const { opensearch } = await clientsAt(input.place);
      const pkg = await describeBy(opensearch, 'PackageID', input.packageId);
      if (!pkg)
        throw ApplicationFailure.nonRetryable(
          `package ${input.packageId} no longer exists`,
          FailureTypes.AwsRequestRejected,
        );
      const details = {
        packageId: pkg.packageId,
        status: pkg.status,
        ...(pkg.error ? { errorDetails: pkg.error } : {}),
      };
      if (pkg.status === 'VALIDATION_FAILED')
        throw ApplicationFailure.nonRetryable(
          `package ${pkg.packageName} (${pkg.packageId}) failed validation: ${pkg.error?.type ?? ''} ${pkg.error?.message ?? ''}`.trim(),
          FailureTypes.PackageValidationFailed,
          details,
        );
      if (pkg.status === 'COPY_FAILED')
        throw ApplicationFailure.nonRetryable(
          `package ${pkg.packageName} (${pkg.packageId}) could not be copied from S3: ${pkg.error?.type ?? ''} ${pkg.error?.message ?? ''}`.trim(),
          FailureTypes.PackageCopyFailed,
          details,
        );
      if (
        pkg.status === 'AVAILABLE' &&
        pkg.contentSha256 === input.sha256 &&
        pkg.availableVersion &&
        pkg.availableVersion !== input.notVersion
      )
        return pkg;
      throw notReady(
        `package ${pkg.packageId} is ${pkg.status}${pkg.availableVersion ? ` (at ${pkg.availableVersion})` : ''}`,
      );
    },

    async listDomainsForPackage(
      input: AtPlace & {
        packageId: string;
      },
    ): Promise<DomainPackageRow[]> {
      const { opensearch } = await clientsAt(input.place);
      return listRows(opensearch, input.packageId);
    },

    /** "Package is already in desired state" means the domain is current: success, not failure. */
    async associatePackage(
      input: AtPlace & {
        packageId: string;
        domain: string;
      },
    ): Promise<'started' | 'already-current'> {
      const { opensearch } = await clientsAt(input.place);
      try {
        await opensearch.send(
          new AssociatePackageCommand({ PackageID: input.packageId, DomainName: input.domain }),
        );
        return 'started';
      } catch (err) {
        if (isAwsError(err, 'ConflictException') && ALREADY_IN_DESIRED_STATE.test((err as Error).message))
          return 'already-current';
        const context = {
          service: 'es',
          operation: 'AssociatePackage',
          domain: input.domain,
          packageId: input.packageId,
        } as const;
        if (isAwsError(err, 'ConflictException')) {
          // "is ASSOCIATING": most often our own association, whose response was lost and which the
          // SDK (or Temporal) resent. The row tells: ASSOCIATING means it is under way, so watch it
          // (the wait checks the version). Anything else is an operation that clears by itself.
          const current = (await listRows(opensearch, input.packageId)).find(
            (r) => r.domain === input.domain,
          );
          if (current?.status === 'ASSOCIATING') return 'started';
          throw ApplicationFailure.create({
            message: `AssociatePackage (${input.domain}): ${(err as Error).message}`,
            type: 'ConflictException',
            details: [awsErrorDetails(err, context)],
          });
        }
        throw toActivityFailure(err, context, FailureTypes.AssociationFailed);
      }
    },

    /**
     * Polled by retry. One ListDomainsForPackage read (a page per 100 domains) covers every domain
     * in flight, so status reads per round do not grow with the number of domains being watched.
     * Returns as soon as at least one watched domain has settled, so the workflow can refill its
     * concurrency window.
     */
    async waitForAssociations(
      input: AtPlace & {
        packageId: string;
        targetVersion: string;
        watching: Array<{ domain: string; deadline: number }>;
      },
    ): Promise<AssociationStatus[]> {
      const { opensearch } = await clientsAt(input.place);
      const rows = new Map((await listRows(opensearch, input.packageId)).map((r) => [r.domain, r]));
      const now = Date.now();
      const settled = [];
      for (const w of input.watching) {
        const r = rows.get(w.domain);
        if (r?.status === 'ACTIVE' && r.version === input.targetVersion)
          settled.push({
            domain: w.domain,
            outcome: 'current' as const,
            version: r.version,
            ...(r.referencePath ? { referencePath: r.referencePath } : {}),
          });
        else if (r?.status === 'ASSOCIATION_FAILED')
          settled.push({
            domain: w.domain,
            outcome: 'failed' as const,
            version: r.version,
            error: {
              type: FailureTypes.AssociationFailed,
              message: `ASSOCIATION_FAILED: ${r.error?.type ?? ''} ${r.error?.message ?? ''}`.trim(),
            },
          });
        else if (now >= w.deadline)
          settled.push({
            domain: w.domain,
            outcome: 'deadline' as const,
            version: r?.version,
            error: {
              type: FailureTypes.AssociationDeadlineExceeded,
              message: `not ACTIVE at ${input.targetVersion} before the deadline (last seen: ${r ? `${r.status} ${r.version ?? ''}` : 'no association'})`,
            },
          });
      }
      if (settled.length > 0) return settled;
      throw notReady(
        `${input.watching.length} domain(s) still associating ${input.packageId} ${input.targetVersion}`,
      );
    },

    /**
     * An index that still uses the package makes DissociatePackage fail with ConflictException:
     * final for that domain, with what to do about it. Not associated any more is success.
     */
    async dissociatePackage(
      input: AtPlace & {
        packageId: string;
        domain: string;
      },
    ): Promise<'started' | 'already-dissociated'> {
      const { opensearch } = await clientsAt(input.place);
      try {
        await opensearch.send(
          new DissociatePackageCommand({ PackageID: input.packageId, DomainName: input.domain }),
        );
        return 'started';
      } catch (err) {
        const context = {
          service: 'es',
          operation: 'DissociatePackage',
          domain: input.domain,
          packageId: input.packageId,
        } as const;
        if (isAwsError(err, 'ResourceNotFoundException')) {
          // Unknown domain or package, or simply not associated: for a removal all mean "not there".
          return 'already-dissociated';
        }
        if (isAwsError(err, 'ConflictException')) {
          // Two conflicts look alike: an operation still running on this domain's row (e.g. our
          // own dissociation, whose response was lost and which the SDK resent), and an index
          // using the package. The row tells them apart.
          const current = (await listRows(opensearch, input.packageId)).find(
            (r) => r.domain === input.domain,
          );
          if (!current) return 'already-dissociated';
          if (current.status === 'DISSOCIATING') return 'started';
          if (current.status === 'ASSOCIATING')
            // Another operation will settle: retried by Temporal with backoff.
            throw ApplicationFailure.create({
              message: `DissociatePackage (${input.domain}): ${(err as Error).message}`,
              type: 'ConflictException',
              nonRetryable: false,
              details: [awsErrorDetails(err, context)],
            });
          throw ApplicationFailure.create({
            message:
              `DissociatePackage (${input.domain}): ${(err as Error).message}. An index on ${input.domain} still uses ` +
              `package ${input.packageId}: move that index off the analyzer that references it (reindex or update its ` +
              'settings), then run the removal again.',
            type: FailureTypes.PackageInUse,
            nonRetryable: true,
            details: [awsErrorDetails(err, context)],
          });
        }
        throw toActivityFailure(err, context, FailureTypes.DissociationFailed);
      }
    },

    /** Polled by retry until every watched domain's row is gone or DISSOCIATION_FAILED. */
    async waitForDissociations(
      input: AtPlace & {
        packageId: string;
        watching: Array<{ domain: string; deadline: number }>;
      },
    ): Promise<DissociationStatus[]> {
      const { opensearch } = await clientsAt(input.place);
      const rows = new Map((await listRows(opensearch, input.packageId)).map((r) => [r.domain, r]));
      const now = Date.now();
      const settled = [];
      for (const w of input.watching) {
        const r = rows.get(w.domain);
        if (!r) settled.push({ domain: w.domain, outcome: 'dissociated' as const });
        else if (r.status === 'DISSOCIATION_FAILED')
          settled.push({
            domain: w.domain,
            outcome: 'failed' as const,
            error: {
              type: FailureTypes.DissociationFailed,
              message: `DISSOCIATION_FAILED: ${r.error?.type ?? ''} ${r.error?.message ?? ''}`.trim(),
            },
          });
        else if (now >= w.deadline)
          settled.push({
            domain: w.domain,
            outcome: 'deadline' as const,
            error: { type: FailureTypes.DissociationFailed, message: `still ${r.status} at the deadline` },
          });
      }
      if (settled.length > 0) return settled;
      throw notReady(`${input.watching.length} domain(s) still dissociating ${input.packageId}`);
    },

    /**
     * DeletePackage answers DELETING; the package is gone only later. Polled by retry until it is
     * (not found, or DELETED); DELETE_FAILED is final, with AWS's ErrorDetails.
     */
    async waitForPackageDeleted(
      input: AtPlace & {
        packageId: string;
      },
    ): Promise<'deleted'> {
      const { opensearch } = await clientsAt(input.place);
      const pkg = await describeBy(opensearch, 'PackageID', input.packageId);
      if (!pkg || pkg.status === 'DELETED') return 'deleted';
      if (pkg.status === 'DELETE_FAILED')
        throw ApplicationFailure.nonRetryable(
          `package ${pkg.packageName} (${pkg.packageId}) could not be deleted: DELETE_FAILED ${pkg.error?.type ?? ''} ${pkg.error?.message ?? ''}`.trim(),
          FailureTypes.PackageDeleteFailed,
          { packageId: pkg.packageId, status: pkg.status, ...(pkg.error ? { errorDetails: pkg.error } : {}) },
        );
      throw notReady(`package ${pkg.packageId} is ${pkg.status}`);
    },

    async deletePackage(
      input: AtPlace & {
        packageId: string;
      },
    ): Promise<'deleted' | 'already-deleted'> {
      const { opensearch } = await clientsAt(input.place);
      try {
        await opensearch.send(new DeletePackageCommand({ PackageID: input.packageId }));
        return 'deleted';
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) return 'already-deleted';
        throw toActivityFailure(err, {
          service: 'es',
          operation: 'DeletePackage',
          packageId: input.packageId,
        });
      }
    },
  };
}

/**
 * Fleet activities (docs/fleets.md): placing the staged file in another place's staging bucket,
 * and reading how many custom packages a place has (its Region's quota is 25). Each is one AWS
 * call at the target place (the copy first looks whether the object is already there, so a second
 * run writes nothing), with the place's clients from awsClientsFor.
 */
import { DescribePackagesCommand } from '@aws-sdk/client-opensearch';
import { CopyObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../model/failures.js';
import { isAwsError, toActivityFailure } from './aws-errors.js';
import { awsClientsFor, type ActivityDeps, type AtPlace } from './deps.js';

/** AWS's quota of custom packages per account and Region (not adjustable). */
export const PACKAGES_PER_REGION = 25;

export function createFleetActivities(deps: ActivityDeps) {
  return {
    /**
     * Server-side copy of the staged object (content-addressed key, sha256 metadata kept) into a
     * place's staging bucket, with that place's credentials: no bytes pass through the worker.
     * The source bucket's policy must let the place's role read it (docs/fleets.md).
     */
    async placeStagedObject(
      input: AtPlace & {
        source: { bucket: string; key: string };
        bucket: string;
        sha256: string;
      },
    ): Promise<{ bucket: string; key: string; copied: boolean }> {
      const { s3 } = await awsClientsFor(deps, input.place);
      const { key } = input.source;
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: key }));
        if (head.Metadata?.sha256 === input.sha256) return { bucket: input.bucket, key, copied: false };
      } catch (err) {
        if (!(isAwsError(err, 'NotFound') || isAwsError(err, 'NoSuchKey')))
          throw toActivityFailure(err, { service: 's3', operation: 'HeadObject' });
      }
      try {
        await s3.send(
          new CopyObjectCommand({
            Bucket: input.bucket,
            Key: key,
            CopySource: `${input.source.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
            MetadataDirective: 'COPY',
          }),
        );
        return { bucket: input.bucket, key, copied: true };
      } catch (err) {
        const failure = toActivityFailure(err, { service: 's3', operation: 'CopyObject' });
        if (!isAwsError(err, 'AccessDenied') || !input.place?.roleArn) throw failure;
        // Across accounts the read is the staging bucket owner's to grant, the write the place's
        // own; S3 may not say which was refused, so say what each needs.
        throw ApplicationFailure.create({
          message: `${failure.message}. The staging bucket ${input.source.bucket} must let ${input.place.roleArn} read the staged files: add a bucket policy statement allowing s3:GetObject on arn:aws:s3:::${input.source.bucket}/${key.slice(0, key.lastIndexOf('/') + 1)}* to that role (docs/fleets.md); and the role needs s3:PutObject on its own bucket ${input.bucket}`,
          type: failure.type ?? FailureTypes.AwsRequestRejected,
          nonRetryable: true,
          details: failure.details ?? [],
        });
      }
    },

    /**
     * Room for one more custom package at a place, checked before CreatePackage there: a place at
     * its quota fails its own domains with a clear message instead of a LimitExceededException.
     * AWS-provided packages (ids starting with G) do not count.
     */
    async checkPackageQuota(input: AtPlace & { packageName: string }): Promise<number> {
      const { opensearch } = await awsClientsFor(deps, input.place);
      let count = 0;
      let NextToken: string | undefined;
      do {
        try {
          const out = await opensearch.send(new DescribePackagesCommand({ MaxResults: 100, NextToken }));
          count += (out.PackageDetailsList ?? []).filter((p) => !p.PackageID?.startsWith('G')).length;
          NextToken = out.NextToken;
        } catch (err) {
          throw toActivityFailure(err, { service: 'es', operation: 'DescribePackages' });
        }
      } while (NextToken);
      if (count >= PACKAGES_PER_REGION)
        throw ApplicationFailure.nonRetryable(
          `${input.place ? `${input.place.region}${input.place.roleArn ? ` (${input.place.roleArn})` : ''}` : 'this Region'} has ${count} custom packages, AWS's quota per account and Region is ${PACKAGES_PER_REGION}: package ${input.packageName} cannot be created there; delete an unused package first`,
          FailureTypes.AwsRequestRejected,
          { code: 'LimitExceededException', packages: count },
        );
      return count;
    },
  };
}

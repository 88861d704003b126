import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  GetPackageVersionHistoryCommand,
  ListDomainsForPackageCommand,
  DescribePackagesCommand,
} from '@aws-sdk/client-opensearch';
import type { DictionaryRolloutInput } from '../../src/model/dictionary-rollout.js';
import type { TestStack } from './stack.js';

export const STAGING_BUCKET = 'rollout-staging';

export async function createBucket(stack: TestStack, bucket = STAGING_BUCKET): Promise<void> {
  await stack.aws.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
    if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(err.name)) throw err;
  });
}

export function rolloutInput(
  packageName: string,
  domains: string[],
  text: string,
  extra: Partial<DictionaryRolloutInput> = {},
): DictionaryRolloutInput {
  return {
    packageName,
    source: { kind: 'inline', text },
    staging: { bucket: STAGING_BUCKET },
    domains,
    ...extra,
    policy: { pollIntervalSeconds: 0.2, maxConcurrency: 10, ...extra.policy },
  };
}

/** Domain -> { status, version } as AWS reports it. */
export async function domainVersions(
  stack: TestStack,
  packageId: string,
): Promise<Record<string, { status: string; version?: string }>> {
  const out = await stack.aws.opensearch.send(
    new ListDomainsForPackageCommand({ PackageID: packageId, MaxResults: 100 }),
  );
  return Object.fromEntries(
    (out.DomainPackageDetailsList ?? []).map((d) => [
      d.DomainName!,
      { status: d.DomainPackageStatus!, version: d.PackageVersion },
    ]),
  );
}

export async function packagesNamed(stack: TestStack, name: string) {
  const out = await stack.aws.opensearch.send(
    new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: [name] }] }),
  );
  return out.PackageDetailsList ?? [];
}

export async function versionHistory(stack: TestStack, packageId: string) {
  const out = await stack.aws.opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: packageId }));
  return out.PackageVersionHistoryList ?? [];
}

export const domainNames = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

/**
 * A clean emulator for a dictionary test: no resources, fast package states (copy and validation
 * 100 ms, association 300 ms, dissociation 200 ms, or the test's own) and the staging bucket.
 */
export async function freshDictionaryEmulator(
  stack: TestStack,
  durations: Parameters<TestStack['emulator']['control']['setDurations']>[0] = {},
): Promise<void> {
  await stack.emulator.control.reset();
  await stack.emulator.control.setDurations({
    packageCopyingMs: 100,
    packageValidatingMs: 100,
    associationMs: 300,
    dissociationMs: 200,
    ...durations,
  });
  await createBucket(stack);
}

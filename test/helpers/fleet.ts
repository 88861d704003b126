/**
 * Fleet tests: clients per place against a test's emulator (STS AssumeRole for a role's account,
 * the place's Region in the SigV4 scope), the way a worker serving places gets them; buckets and
 * domains per place; and what AWS says per place.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DescribePackagesCommand, ListDomainsForPackageCommand } from '@aws-sdk/client-opensearch';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ApplicationFailure } from '@temporalio/common';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { FailureTypes } from '../../src/model/failures.js';
import { placeKey, type Place } from '../../src/model/place.js';
import { TEST_CREDENTIALS } from './aws.js';

export function placeClients(emulator: RunningEmulator): (place: Place) => Promise<AwsClients> {
  const cache = new Map<string, Promise<AwsClients>>();
  return (place) => {
    const key = placeKey(place);
    if (!cache.has(key)) {
      const built = clientsAt(emulator, place);
      built.catch(() => cache.delete(key));
      cache.set(key, built);
    }
    return cache.get(key)!;
  };
}

async function clientsAt(emulator: RunningEmulator, place: Place): Promise<AwsClients> {
  let credentials = TEST_CREDENTIALS as {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
  if (place.roleArn) {
    const sts = new STSClient({
      endpoint: emulator.url,
      region: place.region,
      credentials: TEST_CREDENTIALS,
    });
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: place.roleArn,
          RoleSessionName: 'package-rollouts-test',
          ...(place.externalId ? { ExternalId: place.externalId } : {}),
        }),
      );
      credentials = {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken!,
      };
    } catch (err) {
      throw ApplicationFailure.nonRetryable(
        `cannot assume role ${place.roleArn} for ${place.region}: ${(err as Error).name}: ${(err as Error).message}`,
        FailureTypes.PlaceUnreachable,
      );
    } finally {
      sts.destroy();
    }
  }
  return createAwsClients({ endpoint: emulator.url, region: place.region, credentials });
}

export async function createBucketAt(clients: AwsClients, bucket: string): Promise<void> {
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
    if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(err.name)) throw err;
  });
}

/** The packages of this name at a place, and each one's domains as AWS reports them. */
export async function packagesAt(clients: AwsClients, name: string) {
  const out = await clients.opensearch.send(
    new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: [name] }] }),
  );
  const list = out.PackageDetailsList ?? [];
  return Promise.all(
    list.map(async (p) => {
      const rows = await clients.opensearch.send(
        new ListDomainsForPackageCommand({ PackageID: p.PackageID! }),
      );
      return {
        packageId: p.PackageID!,
        version: p.AvailablePackageVersion,
        domains: Object.fromEntries(
          (rows.DomainPackageDetailsList ?? []).map((d) => [
            d.DomainName!,
            `${d.DomainPackageStatus} ${d.PackageVersion}`,
          ]),
        ),
      };
    }),
  );
}

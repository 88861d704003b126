/** Fleet tests: a bucket at a place, and what AWS says about a package at a place. */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DescribePackagesCommand, ListDomainsForPackageCommand } from '@aws-sdk/client-opensearch';
import type { AwsClients } from '../../src/aws/clients.js';

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

import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreatePackageCommand as IotCreatePackageCommand,
  GetPackageCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import {
  CreatePackageCommand,
  DescribeDomainCommand,
  DescribePackagesCommand,
  OpenSearchClient,
} from '@aws-sdk/client-opensearch';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, failure, useEmulator } from './harness.js';

/**
 * State per account and Region: the Region from the SigV4 scope, the account from the access key
 * (keys AssumeRole handed out act in their role's account). The default place is what every other
 * emulator test uses unchanged.
 */

const ROLE = 'arn:aws:iam::210987654321:role/rollouts';
const h = useEmulator();
const made: Array<{ destroy(): void }> = [];
afterAll(() => made.forEach((c) => c.destroy()));

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
function clients(region: string, creds: Creds = credentials) {
  const common = { endpoint: h.emulator.url, region, credentials: creds, maxAttempts: 1 };
  const c = {
    opensearch: new OpenSearchClient(common),
    iot: new IoTClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    cloudwatch: new CloudWatchClient(common),
  };
  made.push(...Object.values(c));
  return c;
}

/** Credentials of the role's account, from the emulator's STS. */
async function roleCredentials(): Promise<Creds> {
  await h.control.registerRoles([{ arn: ROLE }]);
  const sts = new STSClient({ endpoint: h.emulator.url, region: 'us-east-1', credentials });
  made.push(sts);
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'places-test' }));
  return {
    accessKeyId: out.Credentials!.AccessKeyId!,
    secretAccessKey: out.Credentials!.SecretAccessKey!,
    sessionToken: out.Credentials!.SessionToken!,
  };
}

let usEast: ReturnType<typeof clients>;
let euWest: ReturnType<typeof clients>;
beforeAll(() => {
  usEast = clients('us-east-1');
  euWest = clients('eu-west-1');
});

async function stage(s3: S3Client, bucket: string, key: string, body: string, region?: string) {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}),
    }),
  );
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

describe('places', () => {
  it('a package created in eu-west-1 is not visible in us-east-1, and one name can exist in both', async () => {
    await stage(euWest.s3, 'staging-eu', 'a.txt', 'car, auto\n', 'eu-west-1');
    await stage(usEast.s3, 'staging-us', 'a.txt', 'car, auto\n');
    const eu = await euWest.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'synonyms',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'staging-eu', S3Key: 'a.txt' },
      }),
    );
    const inUs = await usEast.opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: ['synonyms'] }] }),
    );
    expect(inUs.PackageDetailsList).toEqual([]);
    const us = await usEast.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'synonyms',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'staging-us', S3Key: 'a.txt' },
      }),
    );
    expect(us.PackageDetails!.PackageName).toBe('synonyms');
    expect(us.PackageDetails!.PackageID).not.toBe(eu.PackageDetails!.PackageID);

    // The control API shows each place on its own; without a selector, the default place.
    const euState = await h.control.at({ region: 'eu-west-1' }).state();
    expect(euState.place).toEqual({ account: '123456789012', region: 'eu-west-1' });
    expect(euState.opensearch.packages.map((p) => p.id)).toEqual([eu.PackageDetails!.PackageID]);
    expect(euState.s3.buckets.map((b) => b.name)).toEqual(['staging-eu']);
    const defaultState = await h.control.state();
    expect(defaultState.place).toEqual({ account: '123456789012', region: 'us-east-1' });
    expect(defaultState.opensearch.packages.map((p) => p.id)).toEqual([us.PackageDetails!.PackageID]);
    expect((await h.control.places()).map((p) => `${p.account}/${p.region}`).sort()).toEqual([
      '123456789012/eu-west-1',
      '123456789012/us-east-1',
    ]);
  });

  it('domains, alarms and IoT packages are per place; seeded through the control API selector', async () => {
    await h.control.at({ region: 'eu-west-1' }).seedDomains([{ name: 'search-1' }]);
    await h.control.seedDomains([{ name: 'search-1' }, { name: 'search-2' }]);
    const eu = await euWest.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-1' }));
    const us = await usEast.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-1' }));
    expect(eu.DomainStatus!.ARN).toBe('arn:aws:es:eu-west-1:123456789012:domain/search-1');
    expect(us.DomainStatus!.ARN).toBe('arn:aws:es:us-east-1:123456789012:domain/search-1');
    expect(
      (await failure(euWest.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-2' })))).name,
    ).toBe('ResourceNotFoundException');

    await h.control.at({ region: 'eu-west-1' }).createAlarms([{ name: 'eu-errors', state: 'ALARM' }]);
    const euAlarms = await euWest.cloudwatch.send(new DescribeAlarmsCommand({}));
    const usAlarms = await usEast.cloudwatch.send(new DescribeAlarmsCommand({}));
    expect(euAlarms.MetricAlarms!.map((a) => [a.AlarmName, a.StateValue])).toEqual([['eu-errors', 'ALARM']]);
    expect(usAlarms.MetricAlarms).toEqual([]);

    await euWest.iot.send(new IotCreatePackageCommand({ packageName: 'firmware' }));
    expect((await failure(usEast.iot.send(new GetPackageCommand({ packageName: 'firmware' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it("keys handed out by AssumeRole act in the role's account; the call log records account and Region", async () => {
    const role = clients('eu-west-1', await roleCredentials());
    await h.control.at({ roleArn: ROLE, region: 'eu-west-1' }).seedDomains([{ name: 'team-search' }]);
    const described = await role.opensearch.send(new DescribeDomainCommand({ DomainName: 'team-search' }));
    expect(described.DomainStatus!.ARN).toBe('arn:aws:es:eu-west-1:210987654321:domain/team-search');
    // The same Region with the default account's key: another place.
    expect(
      (await failure(euWest.opensearch.send(new DescribeDomainCommand({ DomainName: 'team-search' })))).name,
    ).toBe('ResourceNotFoundException');

    const calls = await h.control.calls({ service: 'es', operation: 'DescribeDomain' });
    expect(calls.map((c) => [c.account, c.region, c.errorCode])).toEqual([
      ['210987654321', 'eu-west-1', undefined],
      ['123456789012', 'eu-west-1', 'ResourceNotFoundException'],
    ]);
    const inRoleAccount = await h.control.at({ account: '210987654321' }).calls({ service: 'es' });
    expect(inRoleAccount.map((c) => c.operation)).toEqual(['DescribeDomain']);
  });

  it('fault rules may name a Region: other Regions are untouched', async () => {
    await h.control.seedDomains([{ name: 'search-1' }]);
    await h.control.at({ region: 'eu-west-1' }).seedDomains([{ name: 'search-1' }]);
    await h.control.addFault({ service: 'es', region: 'eu-west-1', internalErrorProbability: 1 });
    expect(
      (await failure(euWest.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-1' })))).status,
    ).toBe(500);
    const us = await usEast.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-1' }));
    expect(us.DomainStatus!.DomainName).toBe('search-1');
  });

  it('rate limits are per account and Region', async () => {
    await h.control.setRateLimits({ es: { rate: 0.001, burst: 1 } });
    await h.control.seedDomains([{ name: 'search-1' }]);
    await h.control.at({ region: 'eu-west-1' }).seedDomains([{ name: 'search-1' }]);
    await usEast.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-1' }));
    expect(
      (await failure(usEast.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-1' })))).name,
    ).toBe('ThrottlingException');
    // eu-west-1's bucket is full still.
    await euWest.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-1' }));
    const { counts } = await h.control.rateLimits();
    expect(counts['123456789012/us-east-1/es']).toEqual({ allowed: 1, throttled: 1 });
    expect(counts['123456789012/eu-west-1/es']).toEqual({ allowed: 1, throttled: 0 });
  });
});

describe('S3 across places', () => {
  it('a file staged once is copied into each place’s bucket, across Regions and accounts', async () => {
    await stage(usEast.s3, 'staging-main', 'dict/a.txt', 'car, auto\n');
    await euWest.s3.send(
      new CreateBucketCommand({
        Bucket: 'staging-eu',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    const copied = await euWest.s3.send(
      new CopyObjectCommand({
        Bucket: 'staging-eu',
        Key: 'dict/a.txt',
        CopySource: 'staging-main/dict/a.txt',
      }),
    );
    expect(copied.CopyObjectResult!.ETag).toMatch(/^"[0-9a-f]{32}"$/);

    // Another account copies from the same source into its own bucket once the source bucket's
    // policy lets its role read: refused before, as S3 says it.
    const role = clients('ap-southeast-2', await roleCredentials());
    await role.s3.send(
      new CreateBucketCommand({
        Bucket: 'team-staging',
        CreateBucketConfiguration: { LocationConstraint: 'ap-southeast-2' },
      }),
    );
    const copyIn = () =>
      role.s3.send(
        new CopyObjectCommand({
          Bucket: 'team-staging',
          Key: 'a.txt',
          CopySource: encodeURIComponent('staging-main/dict/a.txt'),
        }),
      );
    const refused = await failure(copyIn());
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toBe(
      `User: arn:aws:sts::210987654321:assumed-role/rollouts/places-test is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::staging-main/dict/a.txt" because no resource-based policy allows the s3:GetObject action`,
    );
    const grant = (statements: object[]) =>
      usEast.s3.send(
        new PutBucketPolicyCommand({
          Bucket: 'staging-main',
          Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
        }),
      );
    const readByRole = {
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: ['s3:GetObject'],
      Resource: 'arn:aws:s3:::staging-main/dict/*',
    };
    // An explicit Deny wins over the Allow.
    await grant([
      readByRole,
      { Effect: 'Deny', Principal: '*', Action: 's3:Get*', Resource: 'arn:aws:s3:::staging-main/dict/a.*' },
    ]);
    expect((await failure(copyIn())).message).toMatch(/with an explicit deny in a resource-based policy$/);
    await grant([readByRole]);
    // Only the bucket's owner manages its policy.
    expect(
      (await failure(role.s3.send(new DeleteBucketPolicyCommand({ Bucket: 'staging-main' })))).name,
    ).toBe('MethodNotAllowed');
    await copyIn();
    // Allowed to read, not to list: a missing key is AccessDenied, not NoSuchKey (as S3 hides
    // which keys exist from whoever may not list); deleting the bucket is refused.
    const missing = await failure(
      role.s3.send(new GetObjectCommand({ Bucket: 'staging-main', Key: 'dict/missing.txt' })),
    );
    expect([missing.name, missing.status]).toEqual(['AccessDenied', 403]);
    expect((await failure(role.s3.send(new DeleteBucketCommand({ Bucket: 'staging-main' })))).name).toBe(
      'AccessDenied',
    );
    const got = await role.s3.send(new GetObjectCommand({ Bucket: 'team-staging', Key: 'a.txt' }));
    expect(await got.Body!.transformToString()).toBe('car, auto\n');
    // Reading the source directly from another Region works too (as after S3's redirect).
    const direct = await euWest.s3.send(new GetObjectCommand({ Bucket: 'staging-main', Key: 'dict/a.txt' }));
    expect(await direct.Body!.transformToString()).toBe('car, auto\n');
    const head = await role.s3.send(new HeadBucketCommand({ Bucket: 'team-staging' }));
    expect(head.BucketRegion).toBe('ap-southeast-2');

    // Writing into another account's bucket is refused (the policy grants reads only); a bucket
    // name is global.
    expect(
      (await failure(role.s3.send(new PutObjectCommand({ Bucket: 'staging-main', Key: 'x', Body: 'x' }))))
        .name,
    ).toBe('AccessDenied');
    expect((await failure(role.s3.send(new CreateBucketCommand({ Bucket: 'staging-main' })))).name).toBe(
      'BucketAlreadyExists',
    );
    // ListBuckets: the caller's own buckets, whatever their Region.
    const mine = await usEast.s3.send(new ListBucketsCommand({}));
    expect(mine.Buckets!.map((b) => b.Name)).toEqual(['staging-eu', 'staging-main']);
    const theirs = await role.s3.send(new ListBucketsCommand({}));
    expect(theirs.Buckets!.map((b) => b.Name)).toEqual(['team-staging']);

    // The package in ap-southeast-2 reads the bucket of its Region.
    const pkg = await role.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'synonyms',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'team-staging', S3Key: 'a.txt' },
      }),
    );
    expect(pkg.PackageDetails!.PackageStatus).toBe('COPYING');
  });

  it('CreatePackage refuses a bucket in another Region, before anything is created', async () => {
    await stage(usEast.s3, 'staging-main', 'a.txt', 'car, auto\n');
    const refused = await failure(
      euWest.opensearch.send(
        new CreatePackageCommand({
          PackageName: 'synonyms',
          PackageType: 'TXT-DICTIONARY',
          PackageSource: { S3BucketName: 'staging-main', S3Key: 'a.txt' },
        }),
      ),
    );
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toContain('staging-main is in us-east-1');
    expect((await h.control.at({ region: 'eu-west-1' }).state()).opensearch.packages).toEqual([]);
  });

  it('CopyObject answers NoSuchKey for a missing source and refuses copying an object onto itself', async () => {
    await stage(usEast.s3, 'staging-main', 'a.txt', 'x');
    expect(
      (
        await failure(
          usEast.s3.send(
            new CopyObjectCommand({ Bucket: 'staging-main', Key: 'b.txt', CopySource: 'staging-main/nope' }),
          ),
        )
      ).name,
    ).toBe('NoSuchKey');
    expect(
      (
        await failure(
          usEast.s3.send(
            new CopyObjectCommand({ Bucket: 'staging-main', Key: 'a.txt', CopySource: 'staging-main/a.txt' }),
          ),
        )
      ).name,
    ).toBe('InvalidRequest');
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  AssociatePackagesCommand,
  CreatePackageCommand,
  DescribeDomainChangeProgressCommand,
  OpenSearchClient,
} from '@aws-sdk/client-opensearch';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { stagingReadPolicy } from '../../src/aws/staging-policy.js';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { credentials, SLOW } from './harness.js';

/**
 * The state file keeps every place (account and Region), and what it left out before places:
 * CloudWatch alarms, plugin deployments (blue/green changes), domains' OpenSearch-node backings,
 * roles and the sessions handed out for them, so a worker holding a session key carries on.
 */

const ROLE = 'arn:aws:iam::210987654321:role/rollouts';
let dir: string;
const clients: Array<{ destroy(): void }> = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-places-state-'));
});
afterEach(() => {
  clients.splice(0).forEach((c) => c.destroy());
  rmSync(dir, { recursive: true, force: true });
});

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
function aws(emulator: RunningEmulator, region: string, creds: Creds = credentials) {
  const common = { endpoint: emulator.url, region, credentials: creds, maxAttempts: 1 };
  const c = {
    opensearch: new OpenSearchClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    cloudwatch: new CloudWatchClient(common),
    sts: new STSClient(common),
  };
  clients.push(...Object.values(c));
  return c;
}

describe('persistence of places', () => {
  it('a restarted emulator has every place, alarm, deployment, backing, role and session it had', async () => {
    const stateFile = join(dir, 'state.json');
    const nodeConfig = join(dir, 'node-config');
    const first = await startEmulator({ stateFile, durations: SLOW });
    await first.control.registerRoles([{ arn: ROLE, externalId: 'team-42' }]);
    const assumed = await aws(first, 'us-east-1').sts.send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'kept', ExternalId: 'team-42' }),
    );
    const roleCreds = {
      accessKeyId: assumed.Credentials!.AccessKeyId!,
      secretAccessKey: assumed.Credentials!.SecretAccessKey!,
      sessionToken: assumed.Credentials!.SessionToken!,
    };
    const team = aws(first, 'eu-west-1', roleCreds);
    const eu = first.control.at({ roleArn: ROLE, region: 'eu-west-1' });
    await eu.seedDomains([{ name: 'team-search' }]);
    await eu.backDomain('team-search', { endpoint: 'http://127.0.0.1:9', configDir: nodeConfig });
    await eu.createAlarms([{ name: 'team-errors', state: 'ALARM', reason: 'kept' }]);
    await first.control.createAlarms([{ name: 'default-errors' }]);
    await team.s3.send(
      new CreateBucketCommand({
        Bucket: 'team-staging',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await team.s3.send(
      new PutObjectCommand({ Bucket: 'team-staging', Key: 'plugin.zip', Body: 'PK\u0003\u0004plugin' }),
    );
    const policy = stagingReadPolicy('team-staging', ['arn:aws:iam::123456789012:role/reader']);
    await team.s3.send(new PutBucketPolicyCommand({ Bucket: 'team-staging', Policy: policy }));
    const plugin = await team.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'team-plugin',
        PackageType: 'ZIP-PLUGIN',
        EngineVersion: 'OpenSearch_2.19',
        PackageConfiguration: { LicenseRequirement: 'NONE', ConfigurationRequirement: 'NONE' },
        PackageSource: { S3BucketName: 'team-staging', S3Key: 'plugin.zip' },
      }),
    );
    await first.control.setClock({ advanceMs: 120_000 });
    await team.opensearch.send(
      new AssociatePackagesCommand({
        DomainName: 'team-search',
        PackageList: [{ PackageID: plugin.PackageDetails!.PackageID! }],
      }),
    );
    const progressBefore = await team.opensearch.send(
      new DescribeDomainChangeProgressCommand({ DomainName: 'team-search' }),
    );
    expect(progressBefore.ChangeProgressStatus!.Status).toBe('PROCESSING');
    const placeBefore = await eu.state();
    const defaultBefore = await first.control.state();
    await first.stop();
    // No secret in the file: session tokens are kept as hashes.
    expect(readFileSync(stateFile, 'utf8')).not.toContain(roleCreds.sessionToken);

    const second = await startEmulator({ stateFile, durations: SLOW });
    try {
      const euAfter = second.control.at({ roleArn: ROLE, region: 'eu-west-1' });
      const placeAfter = await euAfter.state();
      expect({ ...placeAfter, clock: undefined }).toEqual({ ...placeBefore, clock: undefined });
      expect(placeAfter.opensearch.domains[0]!.configuration.backing).toEqual({
        endpoint: 'http://127.0.0.1:9',
        configDir: nodeConfig,
      });
      expect(placeAfter.alarms).toEqual([{ name: 'team-errors', state: 'ALARM', reason: 'kept' }]);
      const defaultAfter = await second.control.state();
      expect({ ...defaultAfter, clock: undefined }).toEqual({ ...defaultBefore, clock: undefined });
      expect((await second.control.places()).map((p) => `${p.account}/${p.region}`)).toContain(
        '210987654321/eu-west-1',
      );
      expect(await second.control.roles()).toEqual([{ arn: ROLE, externalId: 'team-42' }]);

      // The worker's session key still acts in the role's account; the deployment is still running.
      const teamAfter = aws(second, 'eu-west-1', roleCreds);
      expect((await teamAfter.sts.send(new GetCallerIdentityCommand({}))).Account).toBe('210987654321');
      const progress = await teamAfter.opensearch.send(
        new DescribeDomainChangeProgressCommand({ DomainName: 'team-search' }),
      );
      expect(progress.ChangeProgressStatus!.ChangeId).toBe(progressBefore.ChangeProgressStatus!.ChangeId);
      expect(progress.ChangeProgressStatus!.Status).toBe('PROCESSING');
      // The bucket policy too: still there, and still what refuses another account's read.
      expect((await teamAfter.s3.send(new GetBucketPolicyCommand({ Bucket: 'team-staging' }))).Policy).toBe(
        policy,
      );
      const outsider = await aws(second, 'eu-west-1')
        .s3.send(new GetObjectCommand({ Bucket: 'team-staging', Key: 'plugin.zip' }))
        .catch((err: Error) => err);
      expect((outsider as Error).name).toBe('AccessDenied');
      const alarms = await teamAfter.cloudwatch.send(new DescribeAlarmsCommand({}));
      expect(alarms.MetricAlarms!.map((a) => a.AlarmName)).toEqual(['team-errors']);
      const defaultAlarms = await aws(second, 'us-east-1').cloudwatch.send(new DescribeAlarmsCommand({}));
      expect(defaultAlarms.MetricAlarms!.map((a) => a.AlarmName)).toEqual(['default-errors']);
    } finally {
      await second.stop();
    }
  });
});

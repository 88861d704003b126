import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribePackagesCommand,
  GetPackageVersionHistoryCommand,
  ListPackagesForDomainCommand,
} from '@aws-sdk/client-opensearch';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { createOpenSearchPackageActivities } from '../../src/activities/opensearch-packages.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { commitMessageFor, describeWithMarker } from '../../src/model/dictionary-rollout.js';
import { runActivity, useActivityEmulator } from '../helpers/activity-env.js';

/**
 * A connection reset AFTER the change was applied (the emulator's `resetAfterProbability`): the
 * client sees only ECONNRESET, like a lost response without even a 500. The activities must find
 * the change by looking it up, not make it twice: one package, one new version, one association.
 */
const stack = useActivityEmulator();
let emulator: RunningEmulator;
let aws: AwsClients;
let os: ReturnType<typeof createOpenSearchPackageActivities>;
const env = new MockActivityEnvironment();
const BUCKET = 'staging';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

beforeEach(async () => {
  emulator = stack.emulator();
  aws = stack.aws();
  os = createOpenSearchPackageActivities({ aws });
  await emulator.control.reset();
  await emulator.control.setDurations({ packageCopyingMs: 0, packageValidatingMs: 0, associationMs: 5_000 });
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

async function stage(text: string) {
  const key = `package-rollouts/${sha(text)}.txt`;
  await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: text }));
  return { key, sha256: sha(text) };
}

const resetAfter = (operation: string) =>
  emulator.control.addFault({ service: 'es', operation, resetAfterProbability: 1, remaining: 1 });

async function created(name: string) {
  const first = await stage('car, auto\n');
  return runActivity(env, os.createPackage, {
    packageName: name,
    packageType: 'TXT-DICTIONARY',
    description: describeWithMarker('synonyms', first.sha256),
    bucket: BUCKET,
    key: first.key,
  });
}

describe('a reset after the change was applied is resolved by lookup', () => {
  it('createPackage: the one package is found and returned', async () => {
    await resetAfter('CreatePackage');
    const pkg = await created('reset-create');
    const all = await aws.opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: ['reset-create'] }] }),
    );
    expect(all.PackageDetailsList!.map((p) => p.PackageID)).toEqual([pkg.packageId]);
    const calls = await emulator.control.calls({ operation: 'CreatePackage' });
    expect(calls.map((c) => c.fault ?? c.errorCode ?? c.httpStatus)).toEqual([
      'reset-after',
      'ResourceAlreadyExistsException',
    ]);
  });

  it('updatePackage: exactly one new version, UpdatePackage sent once', async () => {
    const pkg = await created('reset-update');
    const next = await stage('car, auto, automobile\n');
    await resetAfter('UpdatePackage');
    const updated = await runActivity(env, os.updatePackage, {
      packageId: pkg.packageId,
      description: describeWithMarker('synonyms', next.sha256),
      commitMessage: commitMessageFor(next.sha256),
      sha256: next.sha256,
      bucket: BUCKET,
      key: next.key,
    });
    expect(updated.contentSha256).toBe(next.sha256);
    expect((await emulator.control.calls({ operation: 'UpdatePackage' })).map((c) => c.fault)).toEqual([
      'reset-after',
    ]);
    const history = await aws.opensearch.send(
      new GetPackageVersionHistoryCommand({ PackageID: pkg.packageId }),
    );
    expect(history.PackageVersionHistoryList!.map((v) => v.PackageVersion)).toEqual(['v2', 'v1']);
  });

  it('associatePackage: the association in progress is ours; no second association', async () => {
    const pkg = await created('reset-associate');
    await emulator.control.seedDomains([{ name: 'logs-3' }]);
    await resetAfter('AssociatePackage');
    expect(await runActivity(env, os.associatePackage, { packageId: pkg.packageId, domain: 'logs-3' })).toBe(
      'started',
    );
    const rows = await aws.opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'logs-3' }));
    expect(rows.DomainPackageDetailsList).toMatchObject([
      { PackageID: pkg.packageId, DomainPackageStatus: 'ASSOCIATING' },
    ]);
    const calls = await emulator.control.calls({ operation: 'AssociatePackage' });
    expect(calls.map((c) => c.fault ?? c.httpStatus)).toEqual(['reset-after', 409]);
  });
});

import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetPackageVersionHistoryCommand } from '@aws-sdk/client-opensearch';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { createOpenSearchPackageActivities } from '../../src/activities/opensearch-packages.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { FailureTypes } from '../../src/model/failures.js';
import { commitMessageFor, describeWithMarker } from '../../src/model/dictionary-rollout.js';
import { runActivity, useActivityEmulator } from '../helpers/activity-env.js';

/**
 * The package activities against lost responses, with the SDK's default retries on (as the worker
 * runs them): the SDK resends a request whose answer was lost, inside one activity attempt.
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
  await emulator.control.setDurations({ packageCopyingMs: 0, packageValidatingMs: 0 });
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

async function stage(text: string) {
  const key = `package-rollouts/${sha(text)}.txt`;
  await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: text }));
  return { key, sha256: sha(text) };
}

async function publishedPackage(name: string) {
  const first = await stage('car, auto\n');
  return runActivity(env, os.createPackage, {
    packageName: name,
    packageType: 'TXT-DICTIONARY',
    description: describeWithMarker('synonyms', first.sha256),
    bucket: BUCKET,
    key: first.key,
  });
}

async function versions(packageId: string) {
  const out = await aws.opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: packageId }));
  return (out.PackageVersionHistoryList ?? []).map((v) => v.PackageVersion);
}

describe('updatePackage after a lost response', () => {
  for (const copyingMs of [0, 5_000]) {
    it(`makes exactly one new version (copy ${copyingMs ? 'still running' : 'already done'} when it is resolved)`, async () => {
      const pkg = await publishedPackage(`lost-update-${copyingMs}`);
      await emulator.control.setDurations({ packageCopyingMs: copyingMs });
      const next = await stage('car, auto, automobile\n');
      await emulator.control.addFault({
        service: 'es',
        operation: 'UpdatePackage',
        loseResponseProbability: 1,
        remaining: 1,
      });
      const updated = await runActivity(env, os.updatePackage, {
        packageId: pkg.packageId,
        description: describeWithMarker('synonyms', next.sha256),
        commitMessage: commitMessageFor(next.sha256),
        sha256: next.sha256,
        bucket: BUCKET,
        key: next.key,
      });
      expect(updated.contentSha256).toBe(next.sha256);
      const calls = await emulator.control.calls({ operation: 'UpdatePackage' });
      expect(calls.map((c) => c.httpStatus)).toEqual([500]); // sent once: the SDK did not resend
      await emulator.control.setClock({ advanceMs: copyingMs + 1_000 }); // let the copy finish
      expect(await versions(pkg.packageId)).toEqual(['v2', 'v1']);
    });
  }
});

describe('associatePackage', () => {
  it('after a lost AssociatePackage response the resend meets "is ASSOCIATING": that is ours, started', async () => {
    const pkg = await publishedPackage('lost-associate');
    await emulator.control.seedDomains([{ name: 'logs-2' }]);
    await emulator.control.setDurations({ associationMs: 5_000 });
    await emulator.control.addFault({
      service: 'es',
      operation: 'AssociatePackage',
      loseResponseProbability: 1,
      remaining: 1,
    });
    expect(await runActivity(env, os.associatePackage, { packageId: pkg.packageId, domain: 'logs-2' })).toBe(
      'started',
    );
    const calls = await emulator.control.calls({ operation: 'AssociatePackage' });
    expect(calls.map((c) => c.httpStatus)).toEqual([500, 409]);
  });
});

describe('dissociatePackage', () => {
  async function associated(name: string) {
    await emulator.control.seedDomains([{ name: 'logs-1' }]);
    await emulator.control.setDurations({ associationMs: 0 });
    const pkg = await publishedPackage(name);
    await runActivity(env, os.associatePackage, { packageId: pkg.packageId, domain: 'logs-1' });
    return pkg;
  }

  it('after a lost response the SDK resend meets "is DISSOCIATING": that is our dissociation, started', async () => {
    const pkg = await associated('lost-dissociate');
    await emulator.control.setDurations({ dissociationMs: 5_000 });
    await emulator.control.addFault({
      service: 'es',
      operation: 'DissociatePackage',
      loseResponseProbability: 1,
      remaining: 1,
    });
    expect(await runActivity(env, os.dissociatePackage, { packageId: pkg.packageId, domain: 'logs-1' })).toBe(
      'started',
    );
    const calls = await emulator.control.calls({ operation: 'DissociatePackage' });
    expect(calls.map((c) => c.httpStatus)).toEqual([500, 409]);
  });

  it('an index using the package is still PackageInUse, non-retryable, telling what to do', async () => {
    const pkg = await associated('in-use');
    await emulator.control.configureDomain('logs-1', { indexesUsingPackages: [pkg.packageId] });
    const err = await runActivity(env, os.dissociatePackage, {
      packageId: pkg.packageId,
      domain: 'logs-1',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(FailureTypes.PackageInUse);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(/move that index off the analyzer/);
  });
});

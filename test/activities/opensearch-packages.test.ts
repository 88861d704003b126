import { GetPackageVersionHistoryCommand } from '@aws-sdk/client-opensearch';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { FailureTypes } from '../../src/model/failures.js';
import { commitMessageFor, describeWithMarker } from '../../src/model/dictionary-rollout.js';
import { runActivity } from '../helpers/activity-env.js';
import { usePackageActivities } from '../helpers/package-activities.js';

/**
 * The package activities against lost responses, with the SDK's default retries on (as the worker
 * runs them): the SDK resends a request whose answer was lost, inside one activity attempt.
 */
const ctx = usePackageActivities({ packageCopyingMs: 0, packageValidatingMs: 0 });

async function versions(packageId: string) {
  const out = await ctx.aws.opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: packageId }));
  return (out.PackageVersionHistoryList ?? []).map((v) => v.PackageVersion);
}

describe('updatePackage after a lost response', () => {
  for (const copyingMs of [0, 5_000]) {
    it(`makes exactly one new version (copy ${copyingMs ? 'still running' : 'already done'} when it is resolved)`, async () => {
      const pkg = await ctx.createdPackage(`lost-update-${copyingMs}`);
      await ctx.emulator.control.setDurations({ packageCopyingMs: copyingMs });
      const next = await ctx.stage('car, auto, automobile\n');
      await ctx.emulator.control.addFault({
        service: 'es',
        operation: 'UpdatePackage',
        loseResponseProbability: 1,
        remaining: 1,
      });
      const updated = await runActivity(ctx.env, ctx.os.updatePackage, {
        packageId: pkg.packageId,
        description: describeWithMarker('synonyms', next.sha256),
        commitMessage: commitMessageFor(next.sha256),
        sha256: next.sha256,
        bucket: ctx.bucket,
        key: next.key,
      });
      expect(updated.contentSha256).toBe(next.sha256);
      const calls = await ctx.emulator.control.calls({ operation: 'UpdatePackage' });
      expect(calls.map((c) => c.httpStatus)).toEqual([500]); // sent once: the SDK did not resend
      await ctx.emulator.control.setClock({ advanceMs: copyingMs + 1_000 }); // let the copy finish
      expect(await versions(pkg.packageId)).toEqual(['v2', 'v1']);
    });
  }
});

describe('associatePackage', () => {
  it('after a lost AssociatePackage response the resend meets "is ASSOCIATING": that is ours, started', async () => {
    const pkg = await ctx.createdPackage('lost-associate');
    await ctx.emulator.control.seedDomains([{ name: 'logs-2' }]);
    await ctx.emulator.control.setDurations({ associationMs: 5_000 });
    await ctx.emulator.control.addFault({
      service: 'es',
      operation: 'AssociatePackage',
      loseResponseProbability: 1,
      remaining: 1,
    });
    expect(
      await runActivity(ctx.env, ctx.os.associatePackage, { packageId: pkg.packageId, domain: 'logs-2' }),
    ).toBe('started');
    const calls = await ctx.emulator.control.calls({ operation: 'AssociatePackage' });
    expect(calls.map((c) => c.httpStatus)).toEqual([500, 409]);
  });
});

describe('dissociatePackage', () => {
  async function associated(name: string) {
    await ctx.emulator.control.seedDomains([{ name: 'logs-1' }]);
    await ctx.emulator.control.setDurations({ associationMs: 0 });
    const pkg = await ctx.createdPackage(name);
    await runActivity(ctx.env, ctx.os.associatePackage, { packageId: pkg.packageId, domain: 'logs-1' });
    return pkg;
  }

  it('after a lost response the SDK resend meets "is DISSOCIATING": that is our dissociation, started', async () => {
    const pkg = await associated('lost-dissociate');
    await ctx.emulator.control.setDurations({ dissociationMs: 5_000 });
    await ctx.emulator.control.addFault({
      service: 'es',
      operation: 'DissociatePackage',
      loseResponseProbability: 1,
      remaining: 1,
    });
    expect(
      await runActivity(ctx.env, ctx.os.dissociatePackage, { packageId: pkg.packageId, domain: 'logs-1' }),
    ).toBe('started');
    const calls = await ctx.emulator.control.calls({ operation: 'DissociatePackage' });
    expect(calls.map((c) => c.httpStatus)).toEqual([500, 409]);
  });

  it('an index using the package is still PackageInUse, non-retryable, telling what to do', async () => {
    const pkg = await associated('in-use');
    await ctx.emulator.control.configureDomain('logs-1', { indexesUsingPackages: [pkg.packageId] });
    const err = await runActivity(ctx.env, ctx.os.dissociatePackage, {
      packageId: pkg.packageId,
      domain: 'logs-1',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(FailureTypes.PackageInUse);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(/move that index off the analyzer/);
  });
});

import {
  DescribePackagesCommand,
  GetPackageVersionHistoryCommand,
  ListPackagesForDomainCommand,
} from '@aws-sdk/client-opensearch';
import { describe, expect, it } from 'vitest';
import { commitMessageFor, describeWithMarker } from '../../src/model/dictionary-rollout.js';
import { runActivity } from '../helpers/activity-env.js';
import { usePackageActivities } from '../helpers/package-activities.js';

/**
 * A connection reset AFTER the change was applied (the emulator's `resetAfterProbability`): the
 * client sees only ECONNRESET, like a lost response without even a 500. The activities must find
 * the change by looking it up, not make it twice: one package, one new version, one association.
 */
const ctx = usePackageActivities({ packageCopyingMs: 0, packageValidatingMs: 0, associationMs: 5_000 });

const resetAfter = (operation: string) =>
  ctx.emulator.control.addFault({ service: 'es', operation, resetAfterProbability: 1, remaining: 1 });

describe('a reset after the change was applied is resolved by lookup', () => {
  it('createPackage: the one package is found and returned', async () => {
    await resetAfter('CreatePackage');
    const pkg = await ctx.createdPackage('reset-create');
    const all = await ctx.aws.opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: ['reset-create'] }] }),
    );
    expect(all.PackageDetailsList!.map((p) => p.PackageID)).toEqual([pkg.packageId]);
    const calls = await ctx.emulator.control.calls({ operation: 'CreatePackage' });
    expect(calls.map((c) => c.fault ?? c.errorCode ?? c.httpStatus)).toEqual([
      'reset-after',
      'ResourceAlreadyExistsException',
    ]);
  });

  it('updatePackage: exactly one new version, UpdatePackage sent once', async () => {
    const pkg = await ctx.createdPackage('reset-update');
    const next = await ctx.stage('car, auto, automobile\n');
    await resetAfter('UpdatePackage');
    const updated = await runActivity(ctx.env, ctx.os.updatePackage, {
      packageId: pkg.packageId,
      description: describeWithMarker('synonyms', next.sha256),
      commitMessage: commitMessageFor(next.sha256),
      sha256: next.sha256,
      bucket: ctx.bucket,
      key: next.key,
    });
    expect(updated.contentSha256).toBe(next.sha256);
    expect((await ctx.emulator.control.calls({ operation: 'UpdatePackage' })).map((c) => c.fault)).toEqual([
      'reset-after',
    ]);
    const history = await ctx.aws.opensearch.send(
      new GetPackageVersionHistoryCommand({ PackageID: pkg.packageId }),
    );
    expect(history.PackageVersionHistoryList!.map((v) => v.PackageVersion)).toEqual(['v2', 'v1']);
  });

  it('associatePackage: the association in progress is ours; no second association', async () => {
    const pkg = await ctx.createdPackage('reset-associate');
    await ctx.emulator.control.seedDomains([{ name: 'logs-3' }]);
    await resetAfter('AssociatePackage');
    expect(
      await runActivity(ctx.env, ctx.os.associatePackage, { packageId: pkg.packageId, domain: 'logs-3' }),
    ).toBe('started');
    const rows = await ctx.aws.opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'logs-3' }));
    expect(rows.DomainPackageDetailsList).toMatchObject([
      { PackageID: pkg.packageId, DomainPackageStatus: 'ASSOCIATING' },
    ]);
    const calls = await ctx.emulator.control.calls({ operation: 'AssociatePackage' });
    expect(calls.map((c) => c.fault ?? c.httpStatus)).toEqual(['reset-after', 409]);
  });
});

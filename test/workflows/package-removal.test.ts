import type { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { packageRemovalResult, startPackageRemoval } from '../../src/client/package-removal.js';
import { WorkflowTypes } from '../../src/model/constants.js';
import { InvalidInputError } from '../../src/model/validation.js';
import {
  freshDictionaryEmulator,
  domainNames,
  domainVersions,
  packagesNamed,
  rolloutInput,
} from '../helpers/dictionary.js';
import { pollingMaximumAttempts, recordHistory } from '../helpers/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack('package-removal');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack, {
    packageCopyingMs: 50,
    packageValidatingMs: 50,
    associationMs: 200,
    dissociationMs: 300,
  });
});

/** Publishes a package to domains the way users do: with a dictionary rollout. */
async function published(packageName: string, domains: string[]): Promise<string> {
  await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
  const { handle } = await startDictionaryRollout(
    stack.client,
    rolloutInput(packageName, domains, `${packageName}\n`),
    {
      taskQueue: stack.taskQueue,
    },
  );
  const result = await dictionaryRolloutResult(handle);
  expect(result.outcome).toBe('succeeded');
  return result.packageId;
}

async function remove(input: Parameters<typeof startPackageRemoval>[1]) {
  const { handle, workflowId } = await startPackageRemoval(
    stack.client,
    { pollIntervalSeconds: 0.2, ...input },
    { taskQueue: stack.taskQueue },
  );
  return { handle, workflowId, result: await packageRemovalResult(handle) };
}

/** A removal of every domain of the package that ends Failed with RolloutFailed: its result. */
async function failedRemoval(packageId: string) {
  const { handle } = await startPackageRemoval(
    stack.client,
    { packageId, pollIntervalSeconds: 0.2 },
    { taskQueue: stack.taskQueue },
  );
  const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
  expect((err.cause as ApplicationFailure).type).toBe('RolloutFailed');
  return packageRemovalResult(handle);
}

describe('packageRemoval', () => {
  it('dissociates from 3 domains, deletes the package, and a second run succeeds', async () => {
    const domains = domainNames('rm', 3);
    const packageId = await published('stopwords-rm', domains);
    await stack.emulator.control.clearCalls();
    // DELETING for a while: 'deleted' must mean gone, not just accepted.
    await stack.emulator.control.setDurations({ packageDeletingMs: 1_500 });

    const { result, workflowId } = await remove({ packageName: 'stopwords-rm', maxConcurrency: 2 });
    expect(result).toMatchObject({
      outcome: 'removed',
      packageId,
      packageDeletion: 'deleted',
      counts: { dissociated: 3, failed: 0 },
    });
    expect(result.domains.map((d) => [d.domain, d.state, d.previousVersion])).toEqual(
      domains.map((d) => [d, 'dissociated', 'v1']),
    );
    expect(await packagesNamed(stack, 'stopwords-rm')).toEqual([]);
    const calls = await stack.emulator.control.calls();
    expect(calls.filter((c) => c.operation === 'DissociatePackage').length).toBe(3);
    // The run ended only once the package had left DELETING.
    const deleteCall = calls.find((c) => c.operation === 'DeletePackage')!;
    expect(result.finishedAt - Date.parse(deleteCall.realAt)).toBeGreaterThanOrEqual(1_400);
    // maxConcurrency 2, from the call log: a third dissociation starts only after one has settled
    // (dissociation takes 300 ms on the emulator's clock).
    const dissociations = calls.filter((c) => c.operation === 'DissociatePackage' && c.httpStatus === 200);
    for (const call of dissociations) {
      const t = Date.parse(call.at);
      const inFlight = dissociations.filter((o) => Date.parse(o.at) <= t && Date.parse(o.at) + 300 > t);
      expect(inFlight.length).toBeLessThanOrEqual(2);
    }
    // Deleted only after every association was gone.
    const deleteAt = calls.find((c) => c.operation === 'DeletePackage')!.seq;
    expect(calls.filter((c) => c.operation === 'DissociatePackage').every((c) => c.seq < deleteAt)).toBe(
      true,
    );
    await recordHistory(stack.client, workflowId, 'package-removal-3-domains');
    // Waiting is bounded by the deadline only: a limit on attempts would fail slow domains early.
    const attempts = await pollingMaximumAttempts(stack.client, workflowId);
    expect([...attempts.keys()].sort()).toEqual(['waitForDissociations', 'waitForPackageDeleted']);
    expect([...attempts.values()]).toEqual([0, 0]);

    const again = await remove({ packageName: 'stopwords-rm' });
    expect(again.result).toMatchObject({ outcome: 'already-removed', packageDeletion: 'already-deleted' });
  });

  it('fails clearly for a domain whose index uses the package, removes the rest, keeps the package', async () => {
    const domains = domainNames('inuse', 3);
    const packageId = await published('synonyms-inuse', domains);
    await stack.emulator.control.configureDomain(domains[1]!, { indexesUsingPackages: [packageId] });

    const result = await failedRemoval(packageId);
    expect(result).toMatchObject({
      outcome: 'partial',
      packageDeletion: 'kept',
      counts: { dissociated: 2, failed: 1 },
    });
    const failed = result.domains.find((d) => d.domain === domains[1])!;
    expect(failed.state).toBe('failed');
    expect(failed.error?.type).toBe('PackageInUse');
    expect(failed.error?.message).toMatch(
      new RegExp(`index on ${domains[1]} still uses package ${packageId}: move that index off`),
    );
    expect(result.keptBecause).toMatch(domains[1]!);
    expect(Object.keys(await domainVersions(stack, packageId))).toEqual([domains[1]]);
    expect(await packagesNamed(stack, 'synonyms-inuse')).toHaveLength(1);
  });

  it('removes from a given list only, leaving other domains and the package', async () => {
    const domains = domainNames('part', 3);
    const packageId = await published('synonyms-part', domains);
    const { result } = await remove({ packageName: 'synonyms-part', domains: [domains[0]!, 'never-had-it'] });
    expect(result.domains.map((d) => [d.domain, d.state])).toEqual([
      [domains[0], 'dissociated'],
      ['never-had-it', 'not-associated'],
    ]);
    expect(result.packageDeletion).toBe('kept');
    expect(Object.keys(await domainVersions(stack, packageId)).sort()).toEqual(domains.slice(1));
  });

  it('rejects bad input before any AWS call', async () => {
    await stack.emulator.control.clearCalls();
    await expect(
      startPackageRemoval(stack.client, { packageName: 'x' }, { taskQueue: stack.taskQueue }),
    ).rejects.toSatisfy(
      (e: unknown) => e instanceof InvalidInputError && /packageName: must be at least 3/.test(e.message),
    );
    await expect(
      startPackageRemoval(
        stack.client,
        { packageName: 'abc', packageId: 'F123' },
        { taskQueue: stack.taskQueue },
      ),
    ).rejects.toThrow(/exactly one of packageName or packageId/);
    await expect(
      startPackageRemoval(stack.client, { packageId: 'abc' } as never, { taskQueue: stack.taskQueue }),
    ).rejects.toThrow(/packageId: must be an OpenSearch package id/);
    const handle = await stack.client.workflow.start(WorkflowTypes.packageRemoval, {
      taskQueue: stack.taskQueue,
      workflowId: `bad-removal-${Date.now()}`,
      args: [{ packageName: 'ok-name', domains: ['Bad_Domain'], maxConcurrency: 0 }],
    });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect((err.cause as ApplicationFailure).type).toBe('InvalidInput');
    expect(err.cause?.message).toMatch(/domains\[0\]/);
    expect(err.cause?.message).toMatch(/maxConcurrency/);
    // Not a single AWS call, reads included: the input was refused before the first activity.
    expect(await stack.emulator.control.calls()).toEqual([]);
  });

  it("a domain ending DISSOCIATION_FAILED is that domain's failure; the others go, the package stays", async () => {
    const domains = domainNames('dfail', 3);
    const packageId = await published('synonyms-dfail', domains);
    await stack.emulator.control.configureDomain(domains[2]!, { failDissociation: 'snapshot in progress' });
    const result = await failedRemoval(packageId);
    expect(result).toMatchObject({
      outcome: 'partial',
      packageDeletion: 'kept',
      counts: { dissociated: 2, failed: 1 },
    });
    const failed = result.domains.find((d) => d.domain === domains[2])!;
    expect(failed.error?.type).toBe('DissociationFailed');
    expect(failed.error?.message).toMatch(/DISSOCIATION_FAILED.*snapshot in progress/);
    expect(await domainVersions(stack, packageId)).toEqual({
      [domains[2]!]: { status: 'DISSOCIATION_FAILED', version: 'v1' },
    });
    expect(await packagesNamed(stack, 'synonyms-dfail')).toHaveLength(1);
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  approveWave,
  dictionaryRolloutProgress,
  dictionaryRolloutResult,
  pauseRollout,
  resumeRollout,
  RolloutAlreadyRunningError,
  startDictionaryRollout,
} from '../../src/client/dictionary-rollout.js';
import { WorkflowTypes } from '../../src/model/constants.js';
import { InvalidInputError } from '../../src/model/validation.js';
import {
  freshDictionaryEmulator,
  domainNames,
  domainVersions,
  packagesNamed,
  rolloutInput,
  STAGING_BUCKET,
  versionHistory,
} from '../helpers/dictionary.js';
import { pollingMaximumAttempts, recordHistory } from '../helpers/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  stack = await startTestStack('dictionary-rollout');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack);
});

async function run(input: Parameters<typeof startDictionaryRollout>[1]) {
  const { handle, workflowId } = await startDictionaryRollout(stack.client, input, {
    taskQueue: stack.taskQueue,
  });
  return { handle, workflowId, result: await dictionaryRolloutResult(handle) };
}

/** Version -> sha256 of the bytes AWS (the emulator) copied for it. */
async function versionShas(packageId: string): Promise<Record<string, string | undefined>> {
  const pkg = (await stack.emulator.control.state()).opensearch.packages.find((p) => p.id === packageId)!;
  return Object.fromEntries(pkg.versions.map((v) => [v.version, v.sha256]));
}

/**
 * For each association or dissociation call, when the workflow could have seen it settled: the
 * next call may start only after that (the emulator's association and dissociation durations).
 */
async function settleTimes(calls: Array<{ at: string; operation: string }>) {
  const d = await stack.emulator.control.getDurations();
  return calls.map(
    (c) => Date.parse(c.at) + (c.operation === 'AssociatePackage' ? d.associationMs : d.dissociationMs),
  );
}

async function mutatingCalls(operation?: string) {
  const calls = await stack.emulator.control.calls();
  return calls.filter((c) => c.mutating && (!operation || c.operation === operation));
}

describe('dictionaryRollout', () => {
  it('rolls out to 3 domains, then v2 to all, then nothing for unchanged content', async () => {
    const domains = domainNames('search', 3);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));

    const first = await run(rolloutInput('synonyms-en', domains, 'car, automobile\n'));
    expect(first.result.outcome).toBe('succeeded');
    expect(first.result.packageChange).toBe('created');
    expect(first.result.targetVersion).toBe('v1');
    expect(first.result.referencePath).toBe(`analyzers/${first.result.packageId}`);
    expect(first.result.contentSha256).toBe(sha('car, automobile\n'));
    expect(first.result.domains.map((d) => [d.domain, d.state, d.version])).toEqual(
      domains.map((d) => [d, 'current', 'v1']),
    );
    // Each domain's outcome carries AWS's ReferencePath, what its analyzers use as synonyms_path.
    expect(first.result.domains.map((d) => d.referencePath)).toEqual(
      domains.map(() => `analyzers/${first.result.packageId}`),
    );
    expect(Object.values(await domainVersions(stack, first.result.packageId))).toEqual(
      domains.map(() => ({ status: 'ACTIVE', version: 'v1' })),
    );
    await recordHistory(stack.client, first.workflowId, 'dictionary-rollout-first-3-domains');
    // Waiting is bounded by the deadline only: a limit on attempts would fail slow domains early.
    const attempts = await pollingMaximumAttempts(stack.client, first.workflowId);
    expect([...attempts.keys()].sort()).toEqual(['waitForAssociations', 'waitForPackageAvailable']);
    expect([...attempts.values()]).toEqual(['waitForAssociations', 'waitForPackageAvailable'].map(() => 0));

    const second = await run(rolloutInput('synonyms-en', domains, 'car, automobile, auto\n'));
    expect(second.result).toMatchObject({
      outcome: 'succeeded',
      packageChange: 'updated',
      targetVersion: 'v2',
      packageId: first.result.packageId,
    });
    expect(Object.values(await domainVersions(stack, first.result.packageId))).toEqual(
      domains.map(() => ({ status: 'ACTIVE', version: 'v2' })),
    );
    const history = await versionHistory(stack, first.result.packageId);
    expect(history.map((h) => h.PackageVersion).sort()).toEqual(['v1', 'v2']);
    expect(history.find((h) => h.PackageVersion === 'v2')!.CommitMessage).toContain(
      sha('car, automobile, auto\n'),
    );

    await stack.emulator.control.clearCalls();
    const third = await run(rolloutInput('synonyms-en', domains, 'car, automobile, auto\n'));
    expect(third.result).toMatchObject({
      outcome: 'unchanged',
      packageChange: 'unchanged',
      targetVersion: 'v2',
    });
    expect(third.result.counts.skipped).toBe(3);
    expect(await mutatingCalls()).toEqual([]);
    expect((await versionHistory(stack, first.result.packageId)).length).toBe(2);
    expect(await packagesNamed(stack, 'synonyms-en')).toHaveLength(1);
  });

  it('skips domains already at the target version and associates only the rest', async () => {
    const domains = domainNames('skip', 4);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await run(rolloutInput('stopwords-en', domains.slice(0, 2), 'a\nthe\n'));
    await stack.emulator.control.clearCalls();

    const { result } = await run(rolloutInput('stopwords-en', domains, 'a\nthe\n'));
    expect(result.domains.map((d) => d.state)).toEqual(['skipped', 'skipped', 'current', 'current']);
    expect((await mutatingCalls('AssociatePackage')).map((c) => c.resource?.domainName).sort()).toEqual(
      domains.slice(2),
    );
  });

  it('dry run: returns the plan (also through the plan query) and associates nothing', async () => {
    const domains = domainNames('dry', 5);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await run(rolloutInput('synonyms-dry', domains.slice(0, 1), 'dry, run\n'));
    await stack.emulator.control.clearCalls();

    const { handle, result } = await run(
      rolloutInput('synonyms-dry', domains, 'dry, run\n', {
        dryRun: true,
        policy: { waves: { strategy: 'sizes', canary: 1, sizes: [2] } },
      }),
    );
    expect(result.outcome).toBe('dry-run');
    expect(result.domains.map((d) => d.state)).toEqual([
      'skipped',
      'not-started',
      'not-started',
      'not-started',
      'not-started',
    ]);
    expect(result.waves).toBe(3);
    const plan = await handle.query<{ waves: string[][]; skipped: string[]; targetVersion?: string }>('plan');
    expect(plan).toMatchObject({
      targetVersion: 'v1',
      skipped: [domains[0]],
      waves: [[domains[1]], [domains[2], domains[3]], [domains[4]]],
    });
    expect(await mutatingCalls()).toEqual([]);
  });

  it('respects waves and the concurrency bound (from the call log)', async () => {
    const domains = domainNames('wave', 9);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.setDurations({ associationMs: 400 });
    const { result } = await run(
      rolloutInput('synonyms-waves', domains, 'x, y\n', {
        policy: { maxConcurrency: 2, waves: { strategy: 'sizes', canary: 1, sizes: [4] } },
      }),
    );
    expect(result.outcome).toBe('succeeded');
    expect(result.waves).toBe(3);
    expect(result.domains.map((d) => d.wave)).toEqual([0, 1, 1, 1, 1, 2, 2, 2, 2]);

    // Replay the call log: at no time more than 2 domains associating, and no domain of a wave
    // started before every domain of the previous wave was current.
    const associates = (await mutatingCalls('AssociatePackage')).filter((c) => c.httpStatus === 200);
    expect(associates.map((c) => c.resource?.domainName)).toHaveLength(9);
    const finished = new Map(result.domains.map((d) => [d.domain, d.finishedAt!]));
    for (const call of associates) {
      const t = Date.parse(call.realAt);
      const inFlight = associates.filter(
        (o) => Date.parse(o.realAt) <= t && finished.get(o.resource!.domainName!)! > t,
      );
      expect(inFlight.length).toBeLessThanOrEqual(2);
    }
    const waveOf = new Map(result.domains.map((d) => [d.domain, d.wave]));
    for (const call of associates) {
      const wave = waveOf.get(call.resource!.domainName!)!;
      const earlier = result.domains.filter((d) => d.wave < wave);
      for (const e of earlier) expect(e.finishedAt!).toBeLessThanOrEqual(Date.parse(call.realAt));
    }
  });

  it('holds at the approval gate until approved, and pauses and resumes', async () => {
    const domains = domainNames('gate', 3);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const { handle, workflowId } = await startDictionaryRollout(
      stack.client,
      rolloutInput('synonyms-gate', domains, 'gate\n', {
        policy: { approvalBetweenWaves: true, waves: { strategy: 'sizes', canary: 1, sizes: [2] } },
      }),
      { taskQueue: stack.taskQueue },
    );
    await untilAwaitingApproval(handle);
    const held = await dictionaryRolloutProgress(handle);
    expect(held.phase).toBe('waiting-for-approval');
    expect(held.domains.map((d) => d.state)).toEqual(['current', 'pending', 'pending']);
    // Still holding a moment later: nothing moves without approval.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await mutatingCalls('AssociatePackage')).length).toBe(1);
    // A malformed approve signal (another SDK sending the wave as a string) is ignored: it neither
    // opens the gate nor poisons it, so the update below still approves wave 2.
    await handle.signal('approve', { wave: '2' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await dictionaryRolloutProgress(handle)).awaitingApproval).toBe(true);
    expect((await mutatingCalls('AssociatePackage')).length).toBe(1);

    await pauseRollout(handle);
    expect(await approveWave(handle)).toBe(2); // waves are numbered from 1: this approves wave 2
    await new Promise((r) => setTimeout(r, 1000));
    const paused = await dictionaryRolloutProgress(handle);
    expect(paused.paused).toBe(true);
    expect(paused.domains.filter((d) => d.state === 'pending')).toHaveLength(2);
    await resumeRollout(handle);
    const result = await dictionaryRolloutResult(handle);
    expect(result.outcome).toBe('succeeded');
    expect(result.counts.current).toBe(3);
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-approval-gate');
  });

  it('pauses mid-wave: in-flight domains finish, no new association starts until resumed', async () => {
    const domains = domainNames('midwave', 6);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.setDurations({ associationMs: 1500 });
    const { handle, workflowId } = await startDictionaryRollout(
      stack.client,
      rolloutInput('synonyms-midwave', domains, 'midwave\n', {
        policy: { maxConcurrency: 2, waves: { strategy: 'sizes', canary: 0, sizes: [6] } },
      }),
      { taskQueue: stack.taskQueue },
    );
    await untilAssociating(handle);
    await pauseRollout(handle);
    // The in-flight associations finish (1.5 s). A domain shows 'associating' as soon as its
    // AssociatePackage is scheduled, before the call reaches AWS, so the calls are counted only
    // once nothing is in flight (were the pause ignored, that is only when all six are done).
    await vi.waitFor(
      async () =>
        expect((await dictionaryRolloutProgress(handle)).domains.some((d) => d.state === 'associating')).toBe(
          false,
        ),
      { timeout: 30_000, interval: 100 },
    );
    const startedWhenPaused = (await mutatingCalls('AssociatePackage')).length;
    expect(startedWhenPaused).toBeGreaterThanOrEqual(1);
    expect(startedWhenPaused).toBeLessThanOrEqual(2);
    // Long enough for two more to start, and be seen, if the pause were ignored.
    await new Promise((r) => setTimeout(r, 2500));
    const held = await dictionaryRolloutProgress(handle);
    expect(held.paused).toBe(true);
    expect((await mutatingCalls('AssociatePackage')).length).toBe(startedWhenPaused);
    expect(held.domains.filter((d) => d.state === 'current')).toHaveLength(startedWhenPaused);
    expect(held.domains.filter((d) => d.state === 'pending')).toHaveLength(6 - startedWhenPaused);

    await resumeRollout(handle);
    const result = await dictionaryRolloutResult(handle);
    expect(result.outcome).toBe('succeeded');
    expect(result.counts.current).toBe(6);
    expect((await mutatingCalls('AssociatePackage')).length).toBe(6);
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-paused-mid-wave');
  });

  it('refuses a second rollout of the same package while one runs', async () => {
    const domains = domainNames('once', 2);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const input = rolloutInput('synonyms-once', domains, 'once\n', {
      policy: { approvalBetweenWaves: true },
    });
    const { handle } = await startDictionaryRollout(stack.client, input, { taskQueue: stack.taskQueue });
    await expect(
      startDictionaryRollout(stack.client, input, { taskQueue: stack.taskQueue }),
    ).rejects.toBeInstanceOf(RolloutAlreadyRunningError);
    await untilAwaitingApproval(handle);
    await approveWave(handle);
    expect((await dictionaryRolloutResult(handle)).outcome).toBe('succeeded');
  });

  it('ends with AWS ErrorDetails when the package fails validation', async () => {
    const domains = domainNames('bad', 1);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    // A staged object corrupted after staging (same key, length and sha256 metadata, but not
    // UTF-8 any more) is trusted by the stage step and reaches CreatePackage.
    const text = 'valid, text\n';
    await stack.aws.s3.send(
      new PutObjectCommand({
        Bucket: STAGING_BUCKET,
        Key: `package-rollouts/${sha(text)}.txt`,
        Body: Buffer.alloc(Buffer.byteLength(text), 0xff),
        Metadata: { sha256: sha(text) },
      }),
    );
    const { handle } = await startDictionaryRollout(
      stack.client,
      rolloutInput('synonyms-corrupt', domains, text),
      { taskQueue: stack.taskQueue },
    );
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('PackageValidationFailed');
    expect(cause.details?.[0]).toMatchObject({
      status: 'VALIDATION_FAILED',
      errorDetails: { type: expect.any(String) },
    });
    expect(await mutatingCalls('AssociatePackage')).toEqual([]);
  });

  describe.each([
    ['halt', 'partial'],
    ['continue', 'partial'],
    ['rollback', 'rolled-back'],
  ] as const)('one domain ASSOCIATION_FAILED under the %s policy', (failurePolicy, expectedOutcome) => {
    it(`ends ${expectedOutcome} and says where each domain stands`, async () => {
      const domains = domainNames(`f${failurePolicy}`, 4);
      await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
      const pkgName = `synonyms-${failurePolicy}`;
      await run(
        rolloutInput(pkgName, domains, 'old\n', {
          policy: { waves: { strategy: 'sizes', canary: 0, sizes: [4] } },
        }),
      );
      await stack.emulator.control.configureDomain(domains[1]!, { failAssociation: 'disk full' });
      const { result } = await run(
        rolloutInput(pkgName, domains, 'new\n', {
          policy: {
            failurePolicy,
            maxConcurrency: 1,
            waves: {
              strategy: 'explicit',
              waves: [
                [domains[0]!, domains[1]!],
                [domains[2]!, domains[3]!],
              ],
            },
          },
        }),
      );
      expect(result.outcome).toBe(expectedOutcome);
      const state = Object.fromEntries(result.domains.map((d) => [d.domain, d.state]));
      const versions = await domainVersions(stack, result.packageId);
      if (failurePolicy === 'halt') {
        expect(state).toEqual({
          [domains[0]!]: 'current',
          [domains[1]!]: 'failed',
          [domains[2]!]: 'not-started',
          [domains[3]!]: 'not-started',
        });
        expect(versions[domains[2]!]!.version).toBe('v1');
      } else if (failurePolicy === 'continue') {
        expect(state).toEqual({
          [domains[0]!]: 'current',
          [domains[1]!]: 'failed',
          [domains[2]!]: 'current',
          [domains[3]!]: 'current',
        });
        expect(versions[domains[3]!]!.version).toBe('v2');
      } else {
        // The moved domain is back on the old content, republished as v3; the failing domain's
        // own rollback fails the same way and says so; the second wave never moved.
        expect(state).toEqual({
          [domains[0]!]: 'rolled-back',
          [domains[1]!]: 'rollback-failed',
          [domains[2]!]: 'not-started',
          [domains[3]!]: 'not-started',
        });
        expect(versions[domains[0]!]).toEqual({ status: 'ACTIVE', version: 'v3' });
        expect(versions[domains[2]!]).toEqual({ status: 'ACTIVE', version: 'v1' });
        expect(versions[domains[3]!]).toEqual({ status: 'ACTIVE', version: 'v1' });
        // What AWS copied for v3 is the old file itself (the emulator hashes the bytes it copied).
        expect(await versionShas(result.packageId)).toEqual({
          v1: sha('old\n'),
          v2: sha('new\n'),
          v3: sha('old\n'),
        });
        const failedBack = result.domains.find((d) => d.domain === domains[1])!;
        expect(failedBack.error).toMatchObject({ type: 'RollbackFailed' });
      }
      expect(result.domains.find((d) => d.domain === domains[1])!.error?.message).toMatch(
        /ASSOCIATION_FAILED/,
      );
    });
  });

  it('a domain AWS refuses carries AWS error details, and the result passes the published JSON Schema', async () => {
    const [known] = domainNames('schema', 1);
    await stack.emulator.control.seedDomains([{ name: known! }]);
    const { result } = await run(
      rolloutInput('synonyms-schema', [known!, 'no-such-domain'], 'a, b\n', {
        policy: { failurePolicy: 'continue', waves: { strategy: 'sizes', canary: 0, sizes: [2] } },
      }),
    );
    expect(result.outcome).toBe('partial');
    const refused = result.domains.find((d) => d.domain === 'no-such-domain')!;
    expect(refused.state).toBe('failed');
    expect(refused.error?.aws).toMatchObject({
      service: 'es',
      operation: 'AssociatePackage',
      code: 'ResourceNotFoundException',
    });
    // What a caller in another language checks against: the generated file, read as JSON Schema.
    const published = z.fromJSONSchema(
      JSON.parse(readFileSync('schemas/dictionary-rollout.result.schema.json', 'utf8')),
    );
    const checked = published.safeParse(JSON.parse(JSON.stringify(result)));
    expect(checked.error?.issues ?? []).toEqual([]);
  });

  it('rollback dissociates domains that had no association before, within the concurrency bound', async () => {
    const [kept, fresh1, fresh2, failing] = domainNames('rbdis', 4) as [string, string, string, string];
    await stack.emulator.control.seedDomains([kept, fresh1, fresh2, failing].map((name) => ({ name })));
    const first = await run(rolloutInput('synonyms-rbdis', [kept], 'before\n'));
    await stack.emulator.control.configureDomain(failing, { failAssociation: 'bad analyzer' });
    await stack.emulator.control.clearCalls();
    const { result, workflowId } = await run(
      rolloutInput('synonyms-rbdis', [kept, fresh1, fresh2, failing], 'after\n', {
        policy: {
          failurePolicy: 'rollback',
          maxConcurrency: 1,
          waves: { strategy: 'explicit', waves: [[kept, fresh1, fresh2, failing]] },
        },
      }),
    );
    expect(result.outcome).toBe('rolled-back');
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-rollback-restore-and-dissociate');
    const state = Object.fromEntries(result.domains.map((d) => [d.domain, d.state]));
    expect(state[kept]).toBe('rolled-back');
    expect(state[fresh1]).toBe('rolled-back');
    expect(state[fresh2]).toBe('rolled-back');
    const versions = await domainVersions(stack, first.result.packageId);
    expect(versions[kept]).toEqual({ status: 'ACTIVE', version: 'v3' });
    // The domains that had no association before have none again.
    expect(versions[fresh1]).toBeUndefined();
    expect(versions[fresh2]).toBeUndefined();
    expect((await versionShas(first.result.packageId)).v3).toBe(sha('before\n'));
    // maxConcurrency 1 holds during the rollback too: no two associations or dissociations overlap.
    const calls = (await stack.emulator.control.calls({ service: 'es' })).filter(
      (c) =>
        (c.operation === 'AssociatePackage' || c.operation === 'DissociatePackage') && c.httpStatus === 200,
    );
    expect(calls.length).toBeGreaterThanOrEqual(4 + 3); // 4 associations, then 1 restore + 2 dissociations
    const settledAt = await settleTimes(calls);
    for (let i = 1; i < calls.length; i++)
      expect(Date.parse(calls[i]!.at)).toBeGreaterThanOrEqual(settledAt[i - 1]!);
  });

  it('rollback says so, and makes no broken version, when the previous file is no longer staged', async () => {
    const [moved, failing] = domainNames('rbgone', 2) as [string, string];
    await stack.emulator.control.seedDomains([moved, failing].map((name) => ({ name })));
    // The first content was staged under another prefix: the second run's prefix lacks it.
    const first = await run(
      rolloutInput('synonyms-rbgone', [moved, failing], 'first\n', {
        staging: { bucket: STAGING_BUCKET, prefix: 'elsewhere/' },
      }),
    );
    await stack.emulator.control.configureDomain(failing, { failAssociation: 'bad analyzer' });
    const { result } = await run(
      rolloutInput('synonyms-rbgone', [moved, failing], 'second\n', {
        policy: { failurePolicy: 'rollback', maxConcurrency: 1 },
      }),
    );
    expect(result.outcome).toBe('rolled-back');
    const back = result.domains.find((d) => d.domain === moved)!;
    expect(back.state).toBe('rollback-failed');
    expect(back.error?.message).toMatch(/elsewhere|not there any more/);
    expect(back.error?.message).toContain(`package-rollouts/${sha('first\n')}.txt`);
    // Nothing was republished: v1 and v2 only, no COPY_FAILED v3.
    expect(Object.keys(await versionShas(first.result.packageId))).toEqual(['v1', 'v2']);
    expect((await domainVersions(stack, first.result.packageId))[moved]).toEqual({
      status: 'ACTIVE',
      version: 'v2',
    });
  });

  it('resolves a lost CreatePackage response to exactly one package', async () => {
    const domains = domainNames('lost', 2);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.addFault({
      service: 'es',
      operation: 'CreatePackage',
      loseResponseProbability: 1,
      remaining: 1,
    });
    const { result } = await run(rolloutInput('synonyms-lost', domains, 'lost\n'));
    expect(result.outcome).toBe('succeeded');
    expect(await packagesNamed(stack, 'synonyms-lost')).toHaveLength(1);
    expect(
      (await stack.emulator.control.calls({ operation: 'CreatePackage' })).some(
        (c) => c.fault === 'lost-response',
      ),
    ).toBe(true);
  });

  it('completes under 30 % throttling', async () => {
    const domains = domainNames('thr', 5);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    // Certain throttling of the first two associations, so the run is never spared by the dice (a
    // 30 % rule alone leaves the ~20 calls of a run unthrottled about once in 200 runs), and 30 %
    // on every call.
    await stack.emulator.control.addFault({
      service: 'es',
      operation: 'AssociatePackage',
      throttleProbability: 1,
      remaining: 2,
    });
    await stack.emulator.control.addFault({ service: 'es', throttleProbability: 0.3 });
    const { result } = await run(rolloutInput('synonyms-throttled', domains, 'throttled\n'));
    expect(result.outcome).toBe('succeeded');
    expect(result.counts.current).toBe(5);
    const associations = await stack.emulator.control.calls({ operation: 'AssociatePackage' });
    expect(associations.filter((c) => c.fault === 'throttle').length).toBeGreaterThanOrEqual(2);
    // The test's own read must not be throttled too (all three SDK attempts: 2.7 % of runs).
    await stack.emulator.control.clearFaults();
    expect((await versionHistory(stack, result.packageId)).length).toBe(1);
  });

  it('cancels gracefully: in-flight domains finish, the rest never start, the result says so', async () => {
    const domains = domainNames('cancel', 4);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.setDurations({ associationMs: 1500 });
    const { handle } = await startDictionaryRollout(
      stack.client,
      rolloutInput('synonyms-cancel', domains, 'cancel\n', {
        policy: { maxConcurrency: 1, waves: { strategy: 'sizes', canary: 0, sizes: [4] } },
      }),
      { taskQueue: stack.taskQueue },
    );
    await untilAssociating(handle);
    await handle.cancel();
    const result = await dictionaryRolloutResult(handle);
    expect(result.outcome).toBe('cancelled');
    expect(result.domains[0]!.state).toBe('current');
    expect(result.domains.slice(1).map((d) => d.state)).toEqual([
      'not-started',
      'not-started',
      'not-started',
    ]);
    const failure = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect((failure.cause as ApplicationFailure).type).toBe('RolloutCancelled');
  });

  it('writes the same history (within a workflow task or two) whether association takes 0.1 s or 10 s', async () => {
    const domains = domainNames('flat', 3);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const events: number[] = [];
    const activitiesScheduled: number[] = [];
    for (const [i, associationMs] of [100, 10_000].entries()) {
      await stack.emulator.control.setDurations({ associationMs });
      const { workflowId, result } = await run(
        rolloutInput(`synonyms-flat-${i}`, domains, `flat ${i}\n`, {
          policy: { waves: { strategy: 'sizes', canary: 0, sizes: [3] } },
        }),
      );
      expect(result.outcome).toBe('succeeded');
      events.push(
        await recordHistory(stack.client, workflowId, `dictionary-rollout-flat-${associationMs}ms`),
      );
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      activitiesScheduled.push(history.events!.filter((e) => e.activityTaskScheduledEventAttributes).length);
    }
    // The same activities whatever the latency: waiting is polling by activity retry, not in
    // history. A poll may land between the three associations settling (their calls arrive
    // milliseconds apart) and return with one settled, adding one more wait: at most one per
    // domain beyond the first. Polling in history would add one per poll (about ten per domain).
    expect(Math.abs(activitiesScheduled[1]! - activitiesScheduled[0]!)).toBeLessThanOrEqual(
      domains.length - 1,
    );
    // Total events may differ by a workflow task or two (3 events each) when completions arrive
    // batched differently on a loaded machine; polling in history would add ~100 events per domain.
    expect(Math.abs(events[1]! - events[0]!)).toBeLessThanOrEqual(6);
  });

  it('rolls out to 200 domains with history far below the warning limits', async () => {
    const domains = domainNames('fleet', 200);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.setDurations({ associationMs: 200 });
    const started = Date.now();
    const { workflowId, result } = await run(
      rolloutInput('synonyms-fleet', domains, 'fleet\n', {
        policy: { maxConcurrency: 50, waves: { strategy: 'percentages', canary: 1, percentages: [10, 100] } },
      }),
    );
    expect(result.outcome).toBe('succeeded');
    expect(result.counts.current).toBe(200);
    const events = await recordHistory(stack.client, workflowId, 'dictionary-rollout-200-domains');
    console.log(`200-domain rollout: ${events} history events, ${Date.now() - started} ms`);
    expect(events).toBeLessThan(10_240 / 4);
  });

  it('rejects bad input before any AWS call, naming the field', async () => {
    await stack.emulator.control.clearCalls();
    await expect(
      startDictionaryRollout(stack.client, rolloutInput('Bad_Name', ['x'], 'x\n'), {
        taskQueue: stack.taskQueue,
      }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof InvalidInputError && /packageName/.test(e.message) && /domains\[0\]/.test(e.message),
    );
    // A service in another language may skip our client: the workflow checks again.
    const handle = await stack.client.workflow.start(WorkflowTypes.dictionaryRollout, {
      taskQueue: stack.taskQueue,
      workflowId: `bad-input-${Date.now()}`,
      args: [
        {
          ...rolloutInput('ok-name', ['dup-a', 'dup-a'], 'x\n'),
          policy: { waves: { strategy: 'percentages', percentages: [50] } },
        },
      ],
    });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    const cause = err.cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/domains\[1\]: duplicate domain 'dup-a'/);
    expect(cause.message).toMatch(/policy\.waves\.percentages: the last percentage must be 100/);
    expect(await mutatingCalls()).toEqual([]);
  });
});

type RolloutHandle = Awaited<ReturnType<typeof startDictionaryRollout>>['handle'];

/** Until at least one domain is associating (the run is mid-wave). */
function untilAssociating(handle: RolloutHandle): Promise<void> {
  return vi.waitFor(
    async () =>
      expect((await dictionaryRolloutProgress(handle)).domains.some((d) => d.state === 'associating')).toBe(
        true,
      ),
    { timeout: 30_000, interval: 100 },
  );
}

/** Until the run waits at its approval gate. */
function untilAwaitingApproval(handle: RolloutHandle): Promise<void> {
  return vi.waitFor(
    async () => expect((await dictionaryRolloutProgress(handle)).awaitingApproval).toBe(true),
    { timeout: 30_000, interval: 100 },
  );
}

import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approveWave,
  dictionaryRolloutProgress,
  dictionaryRolloutResult,
  pauseRollout,
  resumeRollout,
  startDictionaryRollout,
} from '../../src/client/dictionary-rollout.js';
import type { DictionaryRolloutResult, DomainOutcome } from '../../src/model/dictionary-rollout.js';
import type { AwsErrorDetails } from '../../src/model/failures.js';
import {
  RolloutDomains,
  RolloutFailedDomains,
  RolloutKind,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetVersion,
} from '../../src/model/search-attributes.js';
import { createBucket, domainNames, rolloutInput } from '../helpers/dictionary.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import {
  activityFailures,
  activitySummaries,
  listedRun,
  listUntil,
  timerSummaries,
  workflowMetadata,
} from '../helpers/visibility.js';

/**
 * What an operator sees of a rollout without opening payload JSON: the custom search attributes
 * read back through the visibility API (the list view's query language), the static summary and
 * details, the current details, activity summaries and failure details in history.
 */

let stack: TestStack;
// The dev server is shared with other test files: names of our own keep list queries to our runs.
const tag = randomBytes(3).toString('hex');
const pkgName = (what: string) => `vis-${what}-${tag}`;

beforeAll(async () => {
  stack = await startTestStack('visibility');
});
afterAll(async () => {
  await stack?.stop();
});
/** Each run starts from an empty emulator with short AWS durations. */
async function freshEmulator(): Promise<void> {
  await stack.emulator.control.reset();
  await stack.emulator.control.setDurations({
    packageCopyingMs: 50,
    packageValidatingMs: 50,
    associationMs: 200,
    dissociationMs: 100,
  });
  await createBucket(stack);
}

const byTarget = (target: string) => `RolloutKind = "dictionaryRollout" AND RolloutTarget = "${target}"`;

function attributes(execution: WorkflowExecutionInfo) {
  const sa = execution.typedSearchAttributes;
  return {
    kind: sa.get(RolloutKind),
    target: sa.get(RolloutTarget),
    status: sa.get(RolloutStatus),
    domains: sa.get(RolloutDomains),
    failedDomains: sa.get(RolloutFailedDomains),
    targetVersion: sa.get(RolloutTargetVersion),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('a dictionary rollout in the visibility API', () => {
  it('after success: status, domains, version, no failed domains; summary, details, activity summaries', async () => {
    await freshEmulator();
    const name = pkgName('ok');
    const domains = domainNames(`vok-${tag}`, 2);
    await stack.emulator.control.seedDomains(domains.map((d) => ({ name: d })));
    const { handle, workflowId } = await startDictionaryRollout(
      stack.client,
      rolloutInput(name, domains, 'car, automobile\n', { policy: { failurePolicy: 'continue' } }),
      { taskQueue: stack.taskQueue },
    );
    const result = await dictionaryRolloutResult(handle);
    expect(result.outcome).toBe('succeeded');
    const runId = (await handle.describe()).runId;

    // Every failed dictionary rollout of one package, and so on: the list view's filters.
    const listed = await listedRun(stack.client, `${byTarget(name)} AND RolloutStatus = "succeeded"`, runId);
    expect(listed.workflowId).toBe(workflowId);
    expect(listed.status.name).toBe('COMPLETED');
    expect(attributes(listed)).toEqual({
      kind: 'dictionaryRollout',
      target: name,
      status: 'succeeded',
      domains,
      failedDomains: 0,
      targetVersion: 'v1',
    });
    // A keyword list matches any of its values; the version and the failure count filter too.
    const byDomain = await listUntil(
      stack.client,
      `RolloutDomains = "${domains[1]}" AND RolloutTargetVersion = "v1" AND RolloutFailedDomains = 0`,
      (list) => list.length > 0,
    );
    expect(byDomain.map((e) => e.runId)).toEqual([runId]);
    // Closed and visible as succeeded, so no longer "running".
    const stillRunning = await listUntil(
      stack.client,
      `${byTarget(name)} AND RolloutStatus = "running"`,
      () => true,
    );
    expect(stillRunning).toEqual([]);

    const description = await handle.describe();
    const summary = await description.staticSummary();
    expect(summary).toBe(`dictionary ${name} -> 2 domain(s), continue on failure`);
    expect(Buffer.byteLength(summary!)).toBeLessThanOrEqual(200);
    const details = await description.staticDetails();
    expect(details).toContain(`Dictionary rollout of \`${name}\``);
    expect(details).toContain(`**domains** (2): ${domains.join(', ')}`);
    expect(details).toContain('- **concurrency**: 10 domain(s) at once');
    expect(details).toContain('- **on failure**: continue');
    expect(details).toMatch(/- \*\*waves\*\* \(\d+, \w+\): \d+( \+ \d+)* domain\(s\)/);
    expect(details).toContain('s3://rollout-staging/');

    const summaries = await activitySummaries(handle);
    // Every activity names its step; associations name the package, version and domain.
    expect(summaries.filter((s) => !s.summary)).toEqual([]);
    expect(summaries.map((s) => s.summary)).toEqual(
      expect.arrayContaining([
        `stage ${name} in s3://rollout-staging`,
        `find package ${name}`,
        `create package ${name}`,
        `wait until ${result.packageId} is AVAILABLE`,
        ...domains.map((d) => `associate ${result.packageId} v1 -> ${d}`),
      ]),
    );

    // Current details and message names, as the Web UI reads them (the built-in metadata query).
    const metadata = await workflowMetadata(handle);
    expect(metadata.currentDetails).toContain('**done**');
    expect(metadata.currentDetails).toContain(`package \`${name}\` ${result.packageId} → **v1**`);
    expect(metadata.currentDetails).toContain('| 2 | 0 | 0 | 0 | 0 | 0 |');
    expect(metadata.definition.queryDefinitions.map((q) => q.name)).toContain('progress');
    expect(metadata.definition.updateDefinitions.map((u) => u.name).sort()).toEqual([
      'approve',
      'pause',
      'resume',
    ]);
  });

  describe('after a partial failure (one domain ASSOCIATION_FAILED, one unknown to AWS, policy continue)', () => {
    const name = pkgName('partial');
    const [ok1, failing, ok2] = domainNames(`vpart-${tag}`, 3) as [string, string, string];
    // Not seeded: AssociatePackage answers ResourceNotFoundException for it (an AWS error response).
    const missing = `vmissing-${tag}`;
    const domains = [ok1, failing, ok2, missing];
    let handle: WorkflowHandle;
    let runId: string;
    let failure: ApplicationFailure;
    let result: DictionaryRolloutResult;
    let outcomes: Record<string, DomainOutcome>;

    beforeAll(async () => {
      await freshEmulator();
      await stack.emulator.control.seedDomains([ok1, failing, ok2].map((d) => ({ name: d })));
      await stack.emulator.control.configureDomain(failing, { failAssociation: 'disk full' });
      ({ handle } = await startDictionaryRollout(
        stack.client,
        rolloutInput(name, domains, 'partial\n', {
          policy: {
            failurePolicy: 'continue',
            maxConcurrency: 2,
            waves: { strategy: 'sizes', canary: 0, sizes: [4] },
          },
        }),
        { taskQueue: stack.taskQueue },
      ));
      failure = await failureOf(handle.result());
      result = failure.details?.[0] as DictionaryRolloutResult;
      outcomes = Object.fromEntries(result.domains.map((d) => [d.domain, d]));
      runId = (await handle.describe()).runId;
    });

    it('is listed as partial with 2 failed domains', async () => {
      expect(failure.type).toBe('RolloutFailed');
      expect(result.outcome).toBe('partial');
      const listed = await listedRun(stack.client, `${byTarget(name)} AND RolloutStatus = "partial"`, runId);
      expect(listed.status.name).toBe('FAILED');
      expect(attributes(listed)).toEqual({
        kind: 'dictionaryRollout',
        target: name,
        status: 'partial',
        domains,
        failedDomains: 2,
        targetVersion: 'v1',
      });
      const withFailures = await listUntil(
        stack.client,
        `${byTarget(name)} AND RolloutFailedDomains > 0`,
        (list) => list.length > 0,
      );
      expect(withFailures.map((e) => e.runId)).toEqual([runId]);
      // ASSOCIATION_FAILED (the domain's own ErrorDetails): the domain and AWS's message.
      expect(outcomes[failing]).toMatchObject({ state: 'failed', error: { type: 'AssociationFailed' } });
      expect(outcomes[failing]!.error!.message).toMatch(/ASSOCIATION_FAILED.*disk full/);
      expect(outcomes[ok1]!.state).toBe('current');
      expect(outcomes[ok2]!.state).toBe('current');
    });

    it("the activity failure carries AWS's code, message, request id and the domain in its details", async () => {
      const associateFailures = (await activityFailures(handle)).filter(
        (f) => f.activityType === 'associatePackage',
      );
      expect(associateFailures).toHaveLength(1);
      const [associateFailure] = associateFailures;
      expect(associateFailure).toMatchObject({ type: 'AssociationFailed', nonRetryable: true });
      expect(associateFailure!.message).toContain(missing);
      expect(associateFailure!.details[0]).toMatchObject({
        service: 'es',
        operation: 'AssociatePackage',
        code: 'ResourceNotFoundException',
        message: expect.stringContaining(missing),
        domain: missing,
        packageId: result.packageId,
        requestId: expect.stringMatching(/\S/),
      } satisfies Partial<Record<keyof AwsErrorDetails, unknown>>);
    });

    it("the workflow's own failure names that domain's AWS error code and request id", async () => {
      const [associateFailure] = (await activityFailures(handle)).filter(
        (f) => f.activityType === 'associatePackage',
      );
      const { requestId } = associateFailure!.details[0] as AwsErrorDetails;
      expect(outcomes[missing]).toMatchObject({ state: 'failed' });
      // Shape-agnostic: wherever the outcome keeps it, the request id is what AWS support asks for.
      const outcome = JSON.stringify(outcomes[missing]);
      expect(outcome).toContain('ResourceNotFoundException');
      expect(outcome).toContain(requestId);
    });
  });

  it('while waiting for approval (and paused): status, current details; then succeeded', async () => {
    await freshEmulator();
    const name = pkgName('gate');
    const domains = domainNames(`vgate-${tag}`, 3);
    await stack.emulator.control.seedDomains(domains.map((d) => ({ name: d })));
    const { handle } = await startDictionaryRollout(
      stack.client,
      rolloutInput(name, domains, 'gate\n', {
        policy: { approvalBetweenWaves: true, waves: { strategy: 'sizes', canary: 1, sizes: [2] } },
      }),
      { taskQueue: stack.taskQueue },
    );
    const runId = (await handle.describe()).runId;

    const waiting = await listedRun(
      stack.client,
      `${byTarget(name)} AND RolloutStatus = "waiting-for-approval"`,
      runId,
    );
    expect(waiting.status.name).toBe('RUNNING');
    expect(attributes(waiting)).toEqual({
      kind: 'dictionaryRollout',
      target: name,
      status: 'waiting-for-approval',
      domains,
      failedDomains: 0,
      targetVersion: 'v1',
    });
    expect((await dictionaryRolloutProgress(handle)).awaitingApproval).toBe(true);
    const held = await workflowMetadata(handle);
    expect(held.currentDetails).toContain('waiting for approval of wave 2');
    expect(held.currentDetails).toContain('| 1 | 0 | 0 | 0 | 2 | 0 |');

    await pauseRollout(handle);
    await listedRun(stack.client, `${byTarget(name)} AND RolloutStatus = "paused"`, runId);
    expect((await workflowMetadata(handle)).currentDetails).toContain('(paused)');
    await resumeRollout(handle);
    await listedRun(stack.client, `${byTarget(name)} AND RolloutStatus = "waiting-for-approval"`, runId);

    await approveWave(handle);
    expect((await dictionaryRolloutResult(handle)).outcome).toBe('succeeded');
    const done = await listedRun(stack.client, `${byTarget(name)} AND RolloutStatus = "succeeded"`, runId);
    expect(attributes(done).failedDomains).toBe(0);
  });

  it('names the pause between waves on its timer', async () => {
    await freshEmulator();
    const name = pkgName('pause');
    const domains = domainNames(`vpause-${tag}`, 2);
    await stack.emulator.control.seedDomains(domains.map((d) => ({ name: d })));
    const { handle } = await startDictionaryRollout(
      stack.client,
      rolloutInput(name, domains, 'pause\n', {
        policy: { pauseBetweenWavesSeconds: 0.2, waves: { strategy: 'sizes', canary: 1, sizes: [1] } },
      }),
      { taskQueue: stack.taskQueue },
    );
    expect((await dictionaryRolloutResult(handle)).outcome).toBe('succeeded');
    const timers = await timerSummaries(handle);
    expect(timers.length).toBeGreaterThan(0);
    // Every timer says what it waits for, in the history and the timeline.
    expect(timers).toEqual(timers.map(() => expect.stringMatching(/\S/)));
  });
});

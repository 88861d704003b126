import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  approveIotPackageRelease,
  iotPackageReleaseProgress,
  iotPackageReleaseResult,
  startIotPackageRelease,
} from '../../src/client/iot-package-release.js';
import { WorkflowTypes } from '../../src/model/constants.js';
import { FailureTypes } from '../../src/model/failures.js';
import type { IotPackageReleaseInput } from '../../src/model/iot-package-release.js';
import { RolloutStatus } from '../../src/model/search-attributes.js';
import { InvalidInputError } from '../../src/model/validation.js';
import { recordHistory } from '../helpers/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack('iot-package-release');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await stack.emulator.control.reset();
});

async function release(input: IotPackageReleaseInput) {
  const { handle, workflowId } = await startIotPackageRelease(stack.client, input, {
    taskQueue: stack.taskQueue,
  });
  return { handle, workflowId, result: await iotPackageReleaseResult(handle) };
}

async function iotPackage(name: string) {
  return (await stack.emulator.control.state()).iot.packages.find((p) => p.name === name);
}

async function versionsOf(name: string) {
  return ((await iotPackage(name))?.versions ?? []).map((v) => [v.versionName, v.status]);
}

async function mutatingIotCalls() {
  return (await stack.emulator.control.calls({ service: 'iot' })).filter((c) => c.mutating);
}

const agent = (versionName: string, extra: Partial<IotPackageReleaseInput> = {}): IotPackageReleaseInput => ({
  packageName: 'edge-agent',
  versionName,
  description: `agent ${versionName}`,
  attributes: { channel: 'stable', arch: 'arm64' },
  tags: { team: 'fleet' },
  ...extra,
});

describe('iotPackageRelease', () => {
  it('full release: creates the package and a DRAFT version, publishes it, makes it the default', async () => {
    const { workflowId, result } = await release(agent('1.0.0'));
    expect(result).toMatchObject({
      outcome: 'changed',
      versionStatus: 'PUBLISHED',
      defaultVersionName: '1.0.0',
      steps: { package: 'created', version: 'created', publish: 'published', default: 'set' },
    });
    const pkg = await iotPackage('edge-agent');
    expect(pkg?.defaultVersionName).toBe('1.0.0');
    expect(await versionsOf('edge-agent')).toEqual([['1.0.0', 'PUBLISHED']]);
    const ops = (await mutatingIotCalls()).map((c) => c.operation);
    expect(ops).toEqual(['CreatePackage', 'CreatePackageVersion', 'UpdatePackageVersion', 'UpdatePackage']);
    await recordHistory(stack.client, workflowId, 'iot-package-release-full-release');
  });

  it('the same release again changes nothing; other content for the version is a clear conflict', async () => {
    await release(agent('1.0.0'));
    await stack.emulator.control.clearCalls();
    const again = await release(agent('1.0.0'));
    expect(again.result).toMatchObject({
      outcome: 'unchanged',
      steps: {
        package: 'existed',
        version: 'existed',
        publish: 'already-published',
        default: 'already-default',
      },
    });
    expect(await mutatingIotCalls()).toEqual([]);

    const { handle } = await startIotPackageRelease(
      stack.client,
      agent('1.0.0', { attributes: { channel: 'beta', arch: 'arm64' } }),
      { taskQueue: stack.taskQueue },
    );
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = err.cause as ApplicationFailure;
    expect(cause.type).toBe(FailureTypes.IotVersionConflict);
    expect(cause.message).toMatch(/already exists \(PUBLISHED\) with other content/);
    expect(cause.message).toMatch(/channel/);
    expect(await mutatingIotCalls()).toEqual([]);
    expect(await versionsOf('edge-agent')).toEqual([['1.0.0', 'PUBLISHED']]);
  });

  it('holds at the approval gate (DRAFT) until approved, then publishes', async () => {
    const { handle } = await startIotPackageRelease(
      stack.client,
      agent('2.0.0', { publish: 'after-approval' }),
      { taskQueue: stack.taskQueue },
    );
    await vi.waitFor(
      async () => expect((await iotPackageReleaseProgress(handle)).awaitingApproval).toBe(true),
      { timeout: 20_000, interval: 100 },
    );
    const waiting = await iotPackageReleaseProgress(handle);
    expect(waiting).toMatchObject({ phase: 'waiting-for-approval', versionStatus: 'DRAFT' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await versionsOf('edge-agent')).toEqual([['2.0.0', 'DRAFT']]);
    expect((await handle.describe()).typedSearchAttributes.get(RolloutStatus)).toBe('waiting-for-approval');

    const approval = await approveIotPackageRelease(stack.client, handle.workflowId, {
      approvedBy: 'ops@example.com',
    });
    expect(approval.approvedBy).toBe('ops@example.com');
    const result = await iotPackageReleaseResult(handle);
    expect(result).toMatchObject({
      outcome: 'changed',
      versionStatus: 'PUBLISHED',
      approval: { approvedBy: 'ops@example.com' },
    });
    expect(await versionsOf('edge-agent')).toEqual([['2.0.0', 'PUBLISHED']]);
  });

  it('deprecates older published versions, keeping the last K', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await release(agent(v));
    const { result } = await release(agent('1.3.0', { deprecateOlder: { keepLast: 2 } }));
    expect(result.steps.deprecated.sort()).toEqual(['1.0.0', '1.1.0']);
    expect(Object.fromEntries(await versionsOf('edge-agent'))).toEqual({
      '1.0.0': 'DEPRECATED',
      '1.1.0': 'DEPRECATED',
      '1.2.0': 'PUBLISHED',
      '1.3.0': 'PUBLISHED',
    });
    expect((await iotPackage('edge-agent'))?.defaultVersionName).toBe('1.3.0');
  });

  it('rejects attributes over 3 KB and names AWS refuses, before any AWS call', async () => {
    await stack.emulator.control.clearCalls();
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, 'v'.repeat(80)]));
    await expect(
      startIotPackageRelease(stack.client, agent('3.0.0', { attributes: big }), {
        taskQueue: stack.taskQueue,
      }),
    ).rejects.toSatisfy((e: unknown) => e instanceof InvalidInputError && /attributes: .*3/.test(e.message));
    await expect(
      startIotPackageRelease(stack.client, agent('3.0.0', { packageName: 'bad name!' }), {
        taskQueue: stack.taskQueue,
      }),
    ).rejects.toSatisfy((e: unknown) => e instanceof InvalidInputError && /packageName/.test(e.message));
    // A service in another language starting the workflow directly gets the same answer.
    const handle = await stack.client.workflow.start(WorkflowTypes.iotPackageRelease, {
      taskQueue: stack.taskQueue,
      workflowId: `bad-iot-${Date.now()}`,
      args: [{ ...agent('3.0.0'), versionName: 'v 1/2', attributes: big }],
    });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect((err.cause as ApplicationFailure).type).toBe(FailureTypes.InvalidInput);
    expect(err.cause?.message).toMatch(/versionName/);
    expect(err.cause?.message).toMatch(/attributes/);
    expect(await stack.emulator.control.calls({ service: 'iot' })).toEqual([]);
  });

  it('throttling and a lost CreatePackageVersion response still leave exactly one version', async () => {
    // Certain throttling of the publish call, and 30 % on every other mutating call.
    await stack.emulator.control.addFault({
      service: 'iot',
      operation: 'UpdatePackageVersion',
      throttleProbability: 1,
      remaining: 2,
    });
    await stack.emulator.control.addFault({ service: 'iot', mutatingOnly: true, throttleProbability: 0.3 });
    await stack.emulator.control.addFault({
      service: 'iot',
      operation: 'CreatePackageVersion',
      loseResponseProbability: 1,
      remaining: 1,
    });
    const { result } = await release(agent('4.0.0'));
    expect(result).toMatchObject({
      outcome: 'changed',
      versionStatus: 'PUBLISHED',
      defaultVersionName: '4.0.0',
    });
    expect(await versionsOf('edge-agent')).toEqual([['4.0.0', 'PUBLISHED']]);
    const createCalls = await stack.emulator.control.calls({ operation: 'CreatePackageVersion' });
    expect(createCalls.some((c) => c.httpStatus === 500)).toBe(true); // the lost answer happened
    const publishCalls = await stack.emulator.control.calls({ operation: 'UpdatePackageVersion' });
    expect(publishCalls.filter((c) => c.httpStatus === 400).length).toBeGreaterThanOrEqual(2); // throttled
  });

  it("a lost response on every mutating call: each resend reuses its step's clientToken, nothing is made twice", async () => {
    await release(agent('1.0.0', { packageName: 'lost-agent' }));
    await stack.emulator.control.clearCalls();
    // Three lost answers in a row per operation: the SDK's own resends (3 attempts) all lose
    // theirs, so Temporal retries the activity too.
    for (const operation of ['CreatePackageVersion', 'UpdatePackageVersion', 'UpdatePackage'])
      await stack.emulator.control.addFault({
        service: 'iot',
        operation,
        loseResponseProbability: 1,
        remaining: 3,
      });
    const { result } = await release(
      agent('2.0.0', { packageName: 'lost-agent', deprecateOlder: { keepLast: 1 } }),
    );
    expect(result).toMatchObject({
      outcome: 'changed',
      versionStatus: 'PUBLISHED',
      defaultVersionName: '2.0.0',
    });
    expect(result.steps.deprecated).toEqual(['1.0.0']);
    expect(await versionsOf('lost-agent')).toEqual([
      ['1.0.0', 'DEPRECATED'],
      ['2.0.0', 'PUBLISHED'],
    ]);
    const calls = await mutatingIotCalls();
    for (const operation of ['CreatePackageVersion', 'UpdatePackageVersion', 'UpdatePackage'])
      expect(
        calls.filter((c) => c.operation === operation && c.httpStatus === 500).length,
      ).toBeGreaterThanOrEqual(3);
    // One token per step, whatever the number of resends: group the calls by what they changed.
    const tokensByStep = new Map<string, Set<string | undefined>>();
    for (const c of calls) {
      const step = `${c.operation} ${c.resource?.versionName ?? ''}`;
      tokensByStep.set(step, (tokensByStep.get(step) ?? new Set()).add(c.resource?.clientToken));
    }
    for (const [step, tokens] of tokensByStep) {
      if (step.startsWith('UpdatePackageVersion')) continue; // publish and deprecate differ by version only
      expect([step, tokens.size]).toEqual([step, 1]);
    }
    const publishAndDeprecate = calls.filter((c) => c.operation === 'UpdatePackageVersion');
    for (const version of ['1.0.0', '2.0.0'])
      expect(
        new Set(
          publishAndDeprecate
            .filter((c) => c.resource?.versionName === version)
            .map((c) => c.resource?.clientToken),
        ).size,
      ).toBe(1);
    expect(
      [...tokensByStep.values()]
        .flatMap((t) => [...t])
        .every((t) => typeof t === 'string' && t.length >= 36 && t.length <= 64),
    ).toBe(true);
  });
});

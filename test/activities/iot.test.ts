import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runActivity, useActivityEmulator } from '../helpers/activity-env.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { createIotActivities } from '../../src/activities/iot.js';
import { releaseClientToken } from '../../src/model/iot-package-release.js';
import type { RunningEmulator } from '../../src/emulator/server.js';

// One attempt per call: the SDK's own retries would hide the lost answers these tests are about.
const stack = useActivityEmulator({ maxAttempts: 1 });
let emulator: RunningEmulator;
let aws: AwsClients;
let iot: ReturnType<typeof createIotActivities>;
const env = new MockActivityEnvironment();

const token = (step: string, run = 'run-1') =>
  releaseClientToken('iot-package-release/agent/1.0.0', run, step);
const version = {
  packageName: 'agent',
  versionName: '1.0.0',
  description: 'first',
  attributes: { channel: 'stable' },
  artifact: { bucket: 'releases', key: 'agent-1.0.0.zip' },
};

beforeEach(async () => {
  emulator = stack.emulator();
  aws = stack.aws();
  iot = createIotActivities({ aws });
  await emulator.control.reset();
});

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

async function versionsInEmulator(packageName: string) {
  const state = await emulator.control.state();
  return state.iot.packages.find((p) => p.name === packageName)?.versions ?? [];
}

describe('IoT activities', () => {
  it('reads absent packages and versions as null', async () => {
    expect(await runActivity(env, iot.getIotPackage, { packageName: 'agent' })).toBeNull();
    expect(
      await runActivity(env, iot.getIotPackageVersion, { packageName: 'agent', versionName: '1.0.0' }),
    ).toBeNull();
  });

  it('a lost CreatePackageVersion answer, retried with the same token, leaves one version', async () => {
    expect(
      await runActivity(env, iot.createIotPackage, { packageName: 'agent', clientToken: token('pkg') }),
    ).toBe('changed');
    await emulator.control.addFault({
      service: 'iot',
      operation: 'CreatePackageVersion',
      loseResponseProbability: 1,
      remaining: 1,
    });
    const lost = await failureOf(
      runActivity(env, iot.createIotPackageVersion, { ...version, clientToken: token('create-version') }),
    );
    // Retryable: Temporal runs the activity again with the same input, hence the same token.
    expect(lost.nonRetryable).toBe(false);
    expect(lost.type).toBe('InternalServerException');

    const retried = await runActivity(env, iot.createIotPackageVersion, {
      ...version,
      clientToken: token('create-version'),
    });
    expect(retried.outcome).toBe('created');
    expect(retried.version).toMatchObject({ versionName: '1.0.0', status: 'DRAFT' });

    // A later run (another token) finds the version and gets it back to compare content.
    const later = await runActivity(env, iot.createIotPackageVersion, {
      ...version,
      clientToken: token('create-version', 'run-2'),
    });
    expect(later).toMatchObject({
      outcome: 'already-existed',
      version: {
        status: 'DRAFT',
        description: 'first',
        attributes: { channel: 'stable' },
        artifact: { bucket: 'releases', key: 'agent-1.0.0.zip' },
      },
    });
    expect(later.version.creationDate).toBeGreaterThan(0);
    expect((await versionsInEmulator('agent')).map((v) => v.versionName)).toEqual(['1.0.0']);
  });

  it('creating an existing package is already done', async () => {
    expect(
      await runActivity(env, iot.createIotPackage, { packageName: 'agent', clientToken: token('pkg') }),
    ).toBe('changed');
    expect(
      await runActivity(env, iot.createIotPackage, {
        packageName: 'agent',
        clientToken: token('pkg', 'run-2'),
      }),
    ).toBe('already-done');
  });

  it('publishes through a lost answer, and refuses to deprecate a DRAFT with AWS details', async () => {
    await runActivity(env, iot.createIotPackage, { packageName: 'agent', clientToken: token('pkg') });
    await runActivity(env, iot.createIotPackageVersion, { ...version, clientToken: token('create-version') });

    const draft = await failureOf(
      runActivity(env, iot.updateIotPackageVersionStatus, {
        packageName: 'agent',
        versionName: '1.0.0',
        action: 'DEPRECATE',
        clientToken: token('deprecate'),
      }),
    );
    expect(draft.nonRetryable).toBe(true);
    expect(draft.type).toBe('AwsRequestRejected');
    expect(draft.details?.[0]).toMatchObject({
      service: 'iot',
      operation: 'UpdatePackageVersion',
      code: 'ConflictException',
      httpStatus: 409,
    });

    await emulator.control.addFault({
      service: 'iot',
      operation: 'UpdatePackageVersion',
      loseResponseProbability: 1,
      remaining: 1,
    });
    const publish = {
      packageName: 'agent',
      versionName: '1.0.0',
      action: 'PUBLISH' as const,
      clientToken: token('publish'),
    };
    expect((await failureOf(runActivity(env, iot.updateIotPackageVersionStatus, publish))).nonRetryable).toBe(
      false,
    );
    expect(await runActivity(env, iot.updateIotPackageVersionStatus, publish)).toBe('changed');
    expect((await versionsInEmulator('agent'))[0]?.status).toBe('PUBLISHED');

    expect(
      await runActivity(env, iot.setIotDefaultVersion, {
        packageName: 'agent',
        versionName: '1.0.0',
        clientToken: token('default'),
      }),
    ).toBe('changed');
    expect(await runActivity(env, iot.getIotPackage, { packageName: 'agent' })).toMatchObject({
      defaultVersionName: '1.0.0',
    });
  });

  it('maps throttling to a retryable failure', async () => {
    await emulator.control.addFault({
      service: 'iot',
      operation: 'GetPackage',
      throttleProbability: 1,
      remaining: 1,
    });
    const throttled = await failureOf(runActivity(env, iot.getIotPackage, { packageName: 'agent' }));
    expect(throttled).toMatchObject({ type: 'ThrottlingException', nonRetryable: false });
  });

  it('lists one page of 100 per call, filtered by status, oldest first', async () => {
    await runActivity(env, iot.createIotPackage, { packageName: 'agent', clientToken: token('pkg') });
    for (let i = 0; i < 102; i++)
      await runActivity(env, iot.createIotPackageVersion, {
        packageName: 'agent',
        versionName: `0.0.${i}`,
        description: '',
        attributes: {},
        clientToken: token(`create-${i}`),
      });
    await runActivity(env, iot.updateIotPackageVersionStatus, {
      packageName: 'agent',
      versionName: '0.0.7',
      action: 'PUBLISH',
      clientToken: token('publish-7'),
    });

    const first = await runActivity(env, iot.listIotPackageVersions, {
      packageName: 'agent',
      status: 'DRAFT',
    });
    expect(first.versions).toHaveLength(100);
    expect(first.nextToken).toBeTruthy();
    const second = await runActivity(env, iot.listIotPackageVersions, {
      packageName: 'agent',
      status: 'DRAFT',
      nextToken: first.nextToken!,
    });
    expect(second.versions.map((v) => v.versionName)).toEqual(['0.0.101']);
    expect(second.nextToken).toBeUndefined();

    const published = await runActivity(env, iot.listIotPackageVersions, {
      packageName: 'agent',
      status: 'PUBLISHED',
    });
    expect(published.versions).toEqual([
      { versionName: '0.0.7', status: 'PUBLISHED', creationDate: expect.any(Number) },
    ]);
  });
});

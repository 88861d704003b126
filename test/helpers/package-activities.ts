import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { createOpenSearchPackageActivities } from '../../src/activities/opensearch-packages.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import type { Durations } from '../../src/emulator/types.js';
import { describeWithMarker } from '../../src/model/dictionary-rollout.js';
import { runActivity, useActivityEmulator } from './activity-env.js';

export interface PackageActivityContext {
  readonly emulator: RunningEmulator;
  readonly aws: AwsClients;
  readonly os: ReturnType<typeof createOpenSearchPackageActivities>;
  readonly env: MockActivityEnvironment;
  /** The staging bucket, made afresh for every test. */
  readonly bucket: string;
  /** Puts `text` where the stage activity would (`package-rollouts/<sha256>.txt`). */
  stage(text: string): Promise<{ key: string; sha256: string }>;
  /** A TXT-DICTIONARY package created through the createPackage activity from a staged file. */
  createdPackage(
    name: string,
  ): ReturnType<ReturnType<typeof createOpenSearchPackageActivities>['createPackage']>;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The setup the OpenSearch package activity tests share: one emulator for the file, and before
 * every test its state reset, these durations set, the staging bucket made, and the package
 * activities built on the worker's AWS clients pointed at it.
 */
export function usePackageActivities(durations: Partial<Durations>): PackageActivityContext {
  const stack = useActivityEmulator();
  let os: PackageActivityContext['os'] | undefined;
  const ctx: PackageActivityContext = {
    get emulator() {
      return stack.emulator();
    },
    get aws() {
      return stack.aws();
    },
    get os() {
      return os!;
    },
    env: new MockActivityEnvironment(),
    bucket: 'staging',
    async stage(text) {
      const key = `package-rollouts/${sha(text)}.txt`;
      await ctx.aws.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: text }));
      return { key, sha256: sha(text) };
    },
    async createdPackage(name) {
      const first = await ctx.stage('car, auto\n');
      return runActivity(ctx.env, ctx.os.createPackage, {
        packageName: name,
        packageType: 'TXT-DICTIONARY',
        description: describeWithMarker('synonyms', first.sha256),
        bucket: ctx.bucket,
        key: first.key,
      });
    },
  };
  beforeEach(async () => {
    os = createOpenSearchPackageActivities({ aws: ctx.aws });
    await ctx.emulator.control.reset();
    await ctx.emulator.control.setDurations(durations);
    await ctx.aws.s3.send(new CreateBucketCommand({ Bucket: ctx.bucket }));
  });
  return ctx;
}

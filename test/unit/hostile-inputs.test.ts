import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runActivity } from '../helpers/activity-env.js';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { createS3Activities } from '../../src/activities/s3.js';
import { startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { startPackageRemoval } from '../../src/client/package-removal.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { WorkflowTypes, type WorkflowType } from '../../src/model/constants.js';
import { dataSourceAttachmentInput } from '../../src/model/data-source-attachment.js';
import { dictionaryRolloutInput } from '../../src/model/dictionary-rollout.js';
import { FailureTypes } from '../../src/model/failures.js';
import { iotPackageReleaseInput } from '../../src/model/iot-package-release.js';
import { packageRemovalInput } from '../../src/model/package-removal.js';
import { pluginRolloutInput } from '../../src/model/plugin-rollout.js';
import { InvalidInputError, parseOrThrow, validate } from '../../src/model/validation.js';
import {
  hostileContents,
  hostileInputs,
  validInputs,
  type HostileInput,
} from '../../harness/hostile-inputs.js';
import { awsClientsFor } from '../helpers/aws.js';

const schemas: Record<WorkflowType, z.ZodType> = {
  [WorkflowTypes.dictionaryRollout]: dictionaryRolloutInput,
  [WorkflowTypes.packageRemoval]: packageRemovalInput,
  [WorkflowTypes.dataSourceAttachment]: dataSourceAttachmentInput,
  [WorkflowTypes.iotPackageRelease]: iotPackageReleaseInput,
  [WorkflowTypes.pluginRollout]: pluginRolloutInput,
};

/** A client that must never be used: validation happens before anything is sent. */
const untouchableClient = new Proxy(
  {},
  {
    get(_t, prop) {
      throw new Error(`the client was used (${String(prop)}) although the input is invalid`);
    },
  },
) as Client;

function expectNamesField(c: HostileInput, issues: Array<{ field: string; rule: string }>) {
  const issue = issues.find((i) => i.field === c.field);
  expect(issue, `${c.id}: no issue for field '${c.field}' in ${JSON.stringify(issues)}`).toBeDefined();
  if (c.rule) expect(issue!.rule).toMatch(c.rule);
  if (c.mentions) expect(issue!.rule).toContain(c.mentions);
  // An issue for the input as a whole must still say which key is wrong.
  if (c.field === '')
    expect(c.mentions ?? c.rule, `${c.id}: say what a whole-input issue must name`).toBeDefined();
}

describe('hostile inputs: every workflow schema rejects them, naming the field', () => {
  it('covers at least 50 inputs across every workflow and every kind of hostility', () => {
    expect(hostileInputs.length).toBeGreaterThanOrEqual(50);
    expect(new Set(hostileInputs.map((c) => c.id)).size).toBe(hostileInputs.length);
    expect(new Set(hostileInputs.map((c) => c.workflow))).toEqual(new Set(Object.values(WorkflowTypes)));
    expect(new Set(hostileInputs.map((c) => c.category)).size).toBeGreaterThanOrEqual(10);
  });

  it.each(Object.entries(validInputs))(
    'the valid %s input the cases start from is accepted',
    (workflow, input) => {
      expect(validate(schemas[workflow as WorkflowType], input)).toMatchObject({ ok: true });
    },
  );

  it.each(hostileInputs.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const result = validate(schemas[c.workflow], c.input);
    expect(result.ok, `${c.id} was accepted`).toBe(false);
    if (result.ok) return;
    expectNamesField(c, result.issues);
    // What the client, the CLI and the workflow's InvalidInput failure say: the field, then the rule.
    let error: unknown;
    try {
      parseOrThrow(schemas[c.workflow], c.input, `${c.workflow} input`);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain(`  - ${c.field || '(input)'}: `);
  });

  it('the typed clients refuse them before talking to Temporal', async () => {
    let refused = 0;
    for (const c of hostileInputs) {
      const start =
        c.workflow === WorkflowTypes.dictionaryRollout
          ? startDictionaryRollout
          : c.workflow === WorkflowTypes.packageRemoval
            ? startPackageRemoval
            : undefined;
      if (!start) continue;
      const attempt = start(untouchableClient, c.input as never);
      await expect(attempt, c.id).rejects.toBeInstanceOf(InvalidInputError);
      const error = (await attempt.catch((e: unknown) => e)) as InvalidInputError;
      expect(error.issues.map((i) => i.field)).toContain(c.field);
      refused++;
    }
    expect(refused).toBeGreaterThanOrEqual(50);
  });
});

describe('hostile dictionary content: the stage activity refuses it before any mutating call', () => {
  let emulator: RunningEmulator;
  let aws: AwsClients;
  let http: Server;
  let httpBase: string;

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = awsClientsFor(emulator);
    for (const Bucket of ['hostile-sources', 'hostile-staging'])
      await aws.s3.send(new CreateBucketCommand({ Bucket }));
    for (const c of hostileContents.filter((x) => x.via === 's3'))
      await aws.s3.send(
        new PutObjectCommand({ Bucket: 'hostile-sources', Key: `${c.id}.txt`, Body: c.bytes }),
      );
    http = createServer((req, res) => {
      const c = hostileContents.find((x) => req.url === `/${x.id}.txt`);
      if (!c) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(c.status ?? 200, { 'content-length': String(c.declaredLength ?? c.bytes.length) });
      // Announcing more than is sent keeps the body open: the activity must not wait for it.
      if (c.declaredLength === undefined) res.end(c.bytes);
      else res.write(c.bytes);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await emulator.control.clearCalls();
  });
  afterAll(async () => {
    http?.closeAllConnections();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    if (aws) destroyAwsClients(aws);
    await emulator?.stop();
  });

  it.each(hostileContents.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const activities = createS3Activities({ aws });
    const source =
      c.via === 's3'
        ? ({ kind: 's3', bucket: 'hostile-sources', key: `${c.id}.txt` } as const)
        : ({ kind: 'url', url: `${httpBase}/${c.id}.txt` } as const);
    // The source passes the schema: only the content is hostile.
    expect(validate(dictionaryRolloutInput, { ...validInputs.dictionaryRollout, source }).ok).toBe(true);
    const env = new MockActivityEnvironment();
    const error = await runActivity(env, activities.stageDictionary, {
      source,
      staging: { bucket: 'hostile-staging', prefix: 'package-rollouts/' },
      packageType: 'TXT-DICTIONARY',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe(FailureTypes.InvalidSource);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as ApplicationFailure).message).toMatch(/^source(\.url)?: /);
    expect((error as ApplicationFailure).message).toMatch(c.message);
    const mutating = (await emulator.control.calls()).filter((call) => call.mutating);
    expect(mutating).toEqual([]);
  });

  it('a staging bucket that does not exist is named, and nothing is written', async () => {
    const before = await emulator.control.state();
    const env = new MockActivityEnvironment();
    const error = await runActivity(env, createS3Activities({ aws }).stageDictionary, {
      source: { kind: 'inline', text: 'car, auto\n' },
      staging: { bucket: 'no-such-staging', prefix: 'package-rollouts/' },
      packageType: 'TXT-DICTIONARY',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as ApplicationFailure).type).toBe(FailureTypes.InvalidSource);
    expect((error as ApplicationFailure).message).toMatch(
      /staging\.bucket: bucket 'no-such-staging' does not exist/,
    );
    // HEAD on a missing bucket answers a bare 404 (no error code), so the activity learns the bucket
    // is missing from the PutObject that S3 refuses: attempted, rejected, nothing written.
    const mutating = (await emulator.control.calls()).filter((call) => call.mutating);
    expect(mutating.map((call) => [call.operation, call.httpStatus, call.errorCode])).toEqual([
      ['PutObject', 404, 'NoSuchBucket'],
    ]);
    expect((await emulator.control.state()).s3).toEqual(before.s3);
  });
});

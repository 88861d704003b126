import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureTypes } from '../../src/model/failures.js';
import type { InputIssue } from '../../src/model/validation.js';
import * as workflows from '../../src/workflows/index.js';
import {
  hostileContents,
  hostileInputs,
  validInputs,
  type HostileInput,
} from '../../harness/hostile-inputs.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Services in other languages may start the workflows directly, without the TypeScript client's
 * validation. Each workflow validates its input again before its first activity: a hostile input
 * ends the run with InvalidInput naming the field, and AWS sees no call that changes anything.
 */
let stack: TestStack;
let http: Server;
let httpBase: string;
const registered = new Set(
  Object.keys(workflows).filter((k) => typeof (workflows as Record<string, unknown>)[k] === 'function'),
);

beforeAll(async () => {
  stack = await startTestStack('hostile-inputs');
  await stack.emulator.control.seedDomains([{ name: 'hostile-1' }, { name: 'hostile-2' }]);
  for (const Bucket of ['hostile-sources', 'hostile-staging'])
    await stack.aws.s3.send(new CreateBucketCommand({ Bucket }));
  for (const c of hostileContents.filter((x) => x.via === 's3'))
    await stack.aws.s3.send(
      new PutObjectCommand({ Bucket: 'hostile-sources', Key: `${c.id}.txt`, Body: c.bytes }),
    );
  http = createServer((req, res) => {
    const c = hostileContents.find((x) => req.url === `/${x.id}.txt`);
    if (!c) return void res.writeHead(404).end();
    res.writeHead(c.status ?? 200, { 'content-length': String(c.declaredLength ?? c.bytes.length) });
    if (c.declaredLength === undefined) res.end(c.bytes);
    else res.write(c.bytes);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  await stack.emulator.control.clearCalls();
});
afterAll(async () => {
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await stack?.stop();
});

/** Starts the workflow type with the raw input, as another SDK would, and returns how it failed. */
async function failureOf(workflowType: string, input: unknown): Promise<WorkflowFailedError> {
  const handle = await stack.client.workflow.start(workflowType, {
    taskQueue: stack.taskQueue,
    workflowId: `hostile-${workflowType}-${randomUUID()}`,
    args: [input],
    workflowExecutionTimeout: '2 minutes',
  });
  const outcome = await handle.result().then(
    (result: unknown) => ({ result }),
    (err: unknown) => err,
  );
  expect(outcome, `${workflowType} accepted ${JSON.stringify(input)?.slice(0, 200)}`).toBeInstanceOf(
    WorkflowFailedError,
  );
  return outcome as WorkflowFailedError;
}

async function mutatingCalls() {
  return (await stack.emulator.control.calls()).filter((c) => c.mutating);
}

describe('workflows started directly with hostile input', () => {
  const cases = hostileInputs.filter((c) => registered.has(c.workflow));

  it('has a registered workflow for most of the table', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it('fail every one with InvalidInput naming the field, with no AWS call at all', async () => {
    const failures: Array<[HostileInput, WorkflowFailedError]> = [];
    // A few at a time: each run fails on its first workflow task.
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8);
      failures.push(
        ...(await Promise.all(
          batch.map(
            async (c) => [c, await failureOf(c.workflow, c.input)] as [HostileInput, WorkflowFailedError],
          ),
        )),
      );
    }
    for (const [c, err] of failures) {
      const cause = err.cause;
      expect(cause, c.id).toBeInstanceOf(ApplicationFailure);
      const failure = cause as ApplicationFailure;
      expect(failure.type, c.id).toBe(FailureTypes.InvalidInput);
      expect(failure.nonRetryable, c.id).toBe(true);
      expect(failure.message, c.id).toContain(`  - ${c.field || '(input)'}: `);
      const issues = (failure.details?.[0] as { issues: InputIssue[] }).issues;
      expect(
        issues.map((i) => i.field),
        c.id,
      ).toContain(c.field);
    }
    // Validation happens before the first activity: AWS saw nothing, let alone a change.
    expect(await stack.emulator.control.calls()).toEqual([]);
  });
});

describe('hostile dictionary content through the dictionaryRollout workflow', () => {
  it.each(hostileContents.map((c) => [c.id, c] as const))(
    '%s: InvalidSource naming the source, no mutating call',
    async (_id, c) => {
      await stack.emulator.control.clearCalls();
      const source =
        c.via === 's3'
          ? { kind: 's3', bucket: 'hostile-sources', key: `${c.id}.txt` }
          : { kind: 'url', url: `${httpBase}/${c.id}.txt` };
      const err = await failureOf('dictionaryRollout', {
        ...validInputs.dictionaryRollout,
        packageName: `hostile-${c.id}`.slice(0, 28),
        source,
      });
      // The stage activity's failure, as the workflow ends with it (unwrapped or inside ActivityFailure).
      const failure = (
        err.cause instanceof ActivityFailure ? err.cause.cause : err.cause
      ) as ApplicationFailure;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure.type).toBe(FailureTypes.InvalidSource);
      expect(failure.message).toMatch(/^source(\.url)?: /);
      expect(failure.message).toMatch(c.message);
      expect(await mutatingCalls()).toEqual([]);
    },
  );
});

describe('a domain that does not exist (valid by every rule, unknown to AWS)', () => {
  it('fails that domain with a reason naming it; no association is made anywhere', async () => {
    await stack.emulator.control.clearCalls();
    const before = await stack.emulator.control.state();
    const err = await failureOf('dictionaryRollout', {
      ...validInputs.dictionaryRollout,
      packageName: 'hostile-unknown-domain',
      domains: ['no-such-domain'],
    });
    const failure = err.cause as ApplicationFailure;
    expect(failure.type).toBe(FailureTypes.RolloutFailed);
    const result = failure.details?.[0] as {
      outcome: string;
      domains: Array<{ domain: string; state: string; error?: { type: string; message: string } }>;
    };
    expect(result.outcome).toBe('failed');
    expect(result.domains).toHaveLength(1);
    expect(result.domains[0]).toMatchObject({ domain: 'no-such-domain', state: 'failed' });
    expect(result.domains[0]!.error?.message).toMatch(/no-such-domain/);
    const after = await stack.emulator.control.state();
    expect(after.opensearch.domains.map((d) => [d.name, d.associations])).toEqual(
      before.opensearch.domains.map((d) => [d.name, d.associations]),
    );
    // Known gap (reported): the workflow learns a domain is unknown only from AssociatePackage, after
    // staging and CreatePackage/UpdatePackage; the schema cannot know which domains exist.
    const associations = (await mutatingCalls()).filter((c) => c.operation === 'AssociatePackage');
    expect(associations.map((c) => [c.httpStatus, c.errorCode])).toEqual([
      [409, 'ResourceNotFoundException'],
    ]);
  });
});

import { randomUUID } from 'node:crypto';
import { CreateApplicationCommand, GetApplicationCommand } from '@aws-sdk/client-opensearch';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import {
  DataSourceAttachmentConflictError,
  dataSourceAttachmentProgress,
  dataSourceAttachmentResult,
  startDataSourceAttachment,
} from '../../src/client/data-source-attachment.js';
import { WorkflowTypes } from '../../src/model/constants.js';
import { attachmentClientToken } from '../../src/model/data-source-attachment.js';
import type {
  AttachmentFailureDetails,
  DataSourceAttachmentInput,
} from '../../src/model/data-source-attachment.js';
import { RolloutKind, RolloutStatus, RolloutTarget } from '../../src/model/search-attributes.js';
import { InvalidInputError } from '../../src/model/validation.js';
import { createRolloutWorker } from '../../src/worker/create-worker.js';
import { pollingMaximumAttempts, recordHistory } from '../helpers/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { activitySummaries, workflowMetadata } from '../helpers/visibility.js';
import { spawnWorker } from '../helpers/worker-process.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack('data-source-attachment');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await stack.emulator.control.reset();
});

const HOUR = 60 * 60 * 1000;
const domainArn = (name: string) => `arn:aws:es:us-east-1:123456789012:domain/${name}`;

/** A domain (ACTIVE at once) and an application, ACTIVE or held CREATING until the test says. */
async function fixture(domain: string, app: { creating: boolean }) {
  await stack.emulator.control.seedDomains([{ name: domain }]);
  // Creating for a week of emulator time: only setApplicationStatus (or the clock) moves it.
  await stack.emulator.control.setDurations({ applicationCreatingMs: app.creating ? 7 * 24 * HOUR : 0 });
  const created = await stack.aws.opensearch.send(
    new CreateApplicationCommand({ name: `app-${randomUUID().slice(0, 8)}` }),
  );
  return { applicationId: created.id!, dataSourceArn: domainArn(domain) };
}

function start(input: DataSourceAttachmentInput, taskQueue = stack.taskQueue) {
  return startDataSourceAttachment(stack.client, { pollIntervalSeconds: 0.2, ...input }, { taskQueue });
}

async function describeCalls(): Promise<number> {
  return (await stack.emulator.control.calls({ operation: 'DescribeDataSourceAttachment' })).length;
}

/** Waits (bounded) until the workflow has polled at least `n` times in all. */
function untilPolled(n: number): Promise<void> {
  return vi.waitFor(async () => expect(await describeCalls()).toBeGreaterThanOrEqual(n), {
    timeout: 60_000,
    interval: 50,
  });
}

async function attachmentsOf(dataSourceArn: string) {
  return (await stack.emulator.control.state()).opensearch.attachments.filter(
    (a) => a.dataSourceArn === dataSourceArn,
  );
}

async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

async function statusAttribute(handle: WorkflowHandle) {
  const sa = (await handle.describe()).typedSearchAttributes;
  return { kind: sa.get(RolloutKind), target: sa.get(RolloutTarget), status: sa.get(RolloutStatus) };
}

describe('dataSourceAttachment', () => {
  it('attaches at once when application and domain are ACTIVE, creating a new workspace', async () => {
    const target = await fixture('dsa-now', { creating: false });
    const { handle, workflowId } = await start({
      ...target,
      workspaceConfiguration: { name: 'Ops (EU)', workspaceType: 'OBSERVABILITY' },
    });
    const result = await dataSourceAttachmentResult(handle);

    const [attachment] = await attachmentsOf(target.dataSourceArn);
    expect(result).toMatchObject({
      status: 'ATTACHED',
      attachmentId: attachment!.attachmentId,
      application: { id: target.applicationId, status: 'ACTIVE' },
      dataSourceKind: 'domain',
      workspace: { kind: 'new', name: 'Ops (EU)', workspaceType: 'OBSERVABILITY' },
      attachedOnRequest: true,
      polls: 0,
    });
    expect(result.requestedAt).toBeGreaterThanOrEqual(result.startedAt);
    expect(result.finishedAt).toBeGreaterThanOrEqual(result.attachedAt);
    expect(attachment).toMatchObject({
      status: 'ATTACHED',
      workspaceConfiguration: { name: 'Ops (EU)', workspaceType: 'OBSERVABILITY' },
    });
    expect(await describeCalls()).toBe(0);

    // What an operator sees without opening payloads.
    expect(await statusAttribute(handle)).toEqual({
      kind: WorkflowTypes.dataSourceAttachment,
      target: `${target.applicationId}/${target.dataSourceArn}`,
      status: 'succeeded',
    });
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(
      `attach ${target.dataSourceArn} -> application ${target.applicationId} (new OBSERVABILITY workspace "Ops (EU)")`,
    );
    expect(await description.staticDetails()).toContain('**workspace**: new OBSERVABILITY workspace');
    const metadata = await workflowMetadata(handle);
    expect(metadata.currentDetails).toContain('**done** — attached');
    expect(metadata.currentDetails).toContain(`| ${result.attachmentId} | ATTACHED | ACTIVE |`);
    expect(metadata.definition.queryDefinitions.map((q) => q.name)).toContain('progress');
    expect(await activitySummaries(handle)).toEqual([
      { activityType: 'resolveApplication', summary: `resolve application ${target.applicationId}` },
      {
        activityType: 'attachDataSource',
        summary: `attach ${target.dataSourceArn} -> ${result.application.name}`,
      },
    ]);
    await recordHistory(stack.client, workflowId, 'data-source-attachment-immediate');
  });

  it('lost AttachDataSource responses: every resend (SDK and Temporal) carries the same run-derived clientToken, one attachment', async () => {
    const target = await fixture('dsa-lost', { creating: false });
    // Three answers lost after the attachment was made: the SDK resends within the activity
    // attempt, gives up after its 3 attempts, and Temporal retries the activity.
    await stack.emulator.control.addFault({
      service: 'es',
      operation: 'AttachDataSource',
      loseResponseProbability: 1,
      remaining: 3,
    });
    const { handle } = await start(target);
    const result = await dataSourceAttachmentResult(handle);
    expect(result.status).toBe('ATTACHED');
    expect(await attachmentsOf(target.dataSourceArn)).toHaveLength(1);
    const calls = await stack.emulator.control.calls({ operation: 'AttachDataSource' });
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.map((c) => c.httpStatus)).toEqual([...calls.slice(0, -1).map(() => 500), 200]);
    const tokens = new Set(calls.map((c) => c.resource?.clientToken));
    expect(tokens.size).toBe(1);
    const [token] = [...tokens];
    // Derived from the run, not random: the same id on every attempt, worker restart and replay.
    const { runId } = await handle.describe();
    expect(token).toBe(attachmentClientToken(runId));
  });

  it('finds the application by name (ListApplications) and attaches', async () => {
    const target = await fixture('dsa-by-name', { creating: false });
    const app = await stack.aws.opensearch.send(new GetApplicationCommand({ id: target.applicationId }));
    const { handle, workflowId } = await start({
      applicationName: app.name!,
      dataSourceArn: target.dataSourceArn,
      workspaceId: 'ws-by-name',
    });
    const result = await dataSourceAttachmentResult(handle);
    expect(result).toMatchObject({ status: 'ATTACHED', application: { id: target.applicationId } });
    expect(await stack.emulator.control.calls({ operation: 'ListApplications' })).not.toHaveLength(0);
    expect(await attachmentsOf(target.dataSourceArn)).toHaveLength(1);
    await recordHistory(stack.client, workflowId, 'data-source-attachment-by-name');
  });

  it('waits while PENDING and completes once the application becomes ACTIVE (existing workspace)', async () => {
    const target = await fixture('dsa-pending', { creating: true });
    const { handle } = await start({ ...target, workspaceId: 'ws-0123' });
    await untilPolled(2);

    const progress = await dataSourceAttachmentProgress(handle);
    expect(progress).toMatchObject({ phase: 'waiting', status: 'PENDING' });
    expect(progress.waitDeadline! - progress.requestedAt!).toBe(24 * HOUR);
    expect((await workflowMetadata(handle)).currentDetails).toContain('**waiting**');
    expect((await statusAttribute(handle)).status).toBe('running');

    await stack.emulator.control.setApplicationStatus(target.applicationId, 'ACTIVE');
    const result = await dataSourceAttachmentResult(handle);
    expect(result).toMatchObject({
      status: 'ATTACHED',
      attachedOnRequest: false,
      workspace: { kind: 'existing', workspaceId: 'ws-0123' },
    });
    expect(result.polls).toBeGreaterThanOrEqual(2);
    expect(result.attachedAt).toBeGreaterThan(result.requestedAt);
    const attachments = await attachmentsOf(target.dataSourceArn);
    expect(attachments).toHaveLength(1);
    expect(attachments[0]).toMatchObject({
      attachmentId: result.attachmentId,
      status: 'ATTACHED',
      workspaceId: 'ws-0123',
    });
    expect((await statusAttribute(handle)).status).toBe('succeeded');
  });

  it('attaches a Serverless collection once the collection becomes ACTIVE', async () => {
    const target = await fixture('dsa-unused', { creating: false });
    const collectionArn = 'arn:aws:aoss:us-east-1:123456789012:collection/abc123def456';
    await stack.emulator.control.setDataSourceStatus(collectionArn, 'CREATING');
    const { handle } = await start({ applicationId: target.applicationId, dataSourceArn: collectionArn });
    await untilPolled(1);
    await stack.emulator.control.setDataSourceStatus(collectionArn, 'ACTIVE');
    expect(await dataSourceAttachmentResult(handle)).toMatchObject({
      status: 'ATTACHED',
      dataSourceKind: 'collection',
      attachedOnRequest: false,
    });
  });

  it('fails with AttachmentFailed when AWS marks the PENDING attachment FAILED after 24 hours', async () => {
    const target = await fixture('dsa-expired', { creating: true });
    const { handle } = await start(target);
    await untilPolled(1);
    await stack.emulator.control.setClock({ advanceMs: 25 * HOUR });

    const failure = await failureOf(handle);
    expect(failure.type).toBe('AttachmentFailed');
    expect(failure.message).toMatch(
      /FAILED: AWS marks an attachment FAILED when it is still PENDING 24 hours/,
    );
    expect(failure.message).toMatch(/application status now: CREATING/);
    const details = failure.details?.[0] as AttachmentFailureDetails;
    const [attachment] = await attachmentsOf(target.dataSourceArn);
    expect(details).toMatchObject({
      applicationId: target.applicationId,
      applicationStatus: 'CREATING',
      dataSourceArn: target.dataSourceArn,
      attachmentId: attachment!.attachmentId,
      status: 'FAILED',
    });
    expect(attachment!.status).toBe('FAILED');
    expect(await statusAttribute(handle)).toMatchObject({ status: 'failed' });
    expect(await dataSourceAttachmentProgress(handle)).toMatchObject({ phase: 'done', outcome: 'failed' });
  });

  it('fails with AttachmentFailed, naming the application status, when the application fails', async () => {
    const target = await fixture('dsa-appfail', { creating: true });
    const { handle } = await start(target);
    await untilPolled(1);
    await stack.emulator.control.setApplicationStatus(target.applicationId, 'FAILED');
    const failure = await failureOf(handle);
    expect(failure.type).toBe('AttachmentFailed');
    expect(failure.details?.[0]).toMatchObject({ status: 'FAILED', applicationStatus: 'FAILED' });
  });

  it('stops at the wait limit with AttachmentWaitLimitExceeded, leaving the PENDING attachment to AWS', async () => {
    const target = await fixture('dsa-limit', { creating: true });
    const { handle, workflowId } = await start({ ...target, waitLimitSeconds: 2, pollIntervalSeconds: 0.2 });

    const failure = await failureOf(handle);
    expect(failure.type).toBe('AttachmentWaitLimitExceeded');
    expect(failure.message).toMatch(/still PENDING after the wait limit of 2 s\. Not detached/);
    expect(failure.details?.[0]).toMatchObject({
      applicationId: target.applicationId,
      status: 'PENDING',
    });
    // Polled through the limit (at least once: the first poll may start late on a loaded
    // machine), then one confirming look after the limit; never a detach (AWS refuses while PENDING).
    expect(await describeCalls()).toBeGreaterThanOrEqual(2);
    // The wait ended at the limit (its schedule-to-close timeout of 2 s): the server ended its
    // retries for the timeout, by timing it out or by failing it when the next attempt would not
    // fit, and not for another reason; the confirming look was scheduled after that.
    const events = (await handle.fetchHistory()).events ?? [];
    const wait = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'waitForDataSourceAttachment',
    )!;
    expect(Number(wait.activityTaskScheduledEventAttributes!.scheduleToCloseTimeout!.seconds)).toBe(2);
    const waitEnd = events.findIndex(
      (e) =>
        String(
          (e.activityTaskTimedOutEventAttributes ?? e.activityTaskFailedEventAttributes)?.scheduledEventId,
        ) === String(wait.eventId),
    );
    const ended = events[waitEnd]!;
    expect(
      (ended.activityTaskTimedOutEventAttributes ?? ended.activityTaskFailedEventAttributes)!.retryState,
    ).toBe(proto.temporal.api.enums.v1.RetryState.RETRY_STATE_TIMEOUT);
    const confirm = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'describeDataSourceAttachment',
    );
    expect(confirm).toBeGreaterThan(waitEnd);
    expect(await stack.emulator.control.calls({ operation: 'DetachDataSource' })).toEqual([]);
    expect(await attachmentsOf(target.dataSourceArn)).toMatchObject([{ status: 'PENDING' }]);
    expect(await dataSourceAttachmentProgress(handle)).toMatchObject({
      phase: 'done',
      outcome: 'wait-limit-exceeded',
    });
    expect((await statusAttribute(handle)).status).toBe('failed');
    await recordHistory(stack.client, workflowId, 'data-source-attachment-wait-limit');
  });

  it('a long PENDING wait and a short one write histories of the same length', async () => {
    async function run(domain: string, pollsBeforeActive: number) {
      await stack.emulator.control.reset();
      const target = await fixture(domain, { creating: true });
      const { handle, workflowId } = await start({ ...target, pollIntervalSeconds: 0.1 });
      await untilPolled(pollsBeforeActive);
      await stack.emulator.control.setApplicationStatus(target.applicationId, 'ACTIVE');
      const result = await dataSourceAttachmentResult(handle);
      // More polls than callOptions' 20 attempts: the wait limit alone bounds the wait.
      expect([...(await pollingMaximumAttempts(stack.client, workflowId)).values()]).toEqual([0]);
      return {
        polls: result.polls,
        events: await recordHistory(stack.client, workflowId, `data-source-attachment-${domain}`),
      };
    }
    const short = await run('dsa-pending-short', 1);
    // Retries of a polling activity fire no sooner than ~1 s apart (the server's timer floor).
    const long = await run('dsa-pending-long', 25);
    expect(long.polls).toBeGreaterThanOrEqual(25);
    expect(short.polls).toBeLessThan(long.polls);
    expect(Math.abs(long.events - short.events)).toBeLessThanOrEqual(2);
  });

  it('resumes after the worker is restarted while PENDING, with exactly one attachment', async () => {
    const target = await fixture('dsa-restart', { creating: true });
    const { handle } = await start(target);
    await untilPolled(2);
    await stack.restartWorker();
    const before = await describeCalls();
    await untilPolled(before + 2); // the new worker polls
    await stack.emulator.control.setApplicationStatus(target.applicationId, 'ACTIVE');

    const result = await dataSourceAttachmentResult(handle);
    expect(result.status).toBe('ATTACHED');
    expect(await attachmentsOf(target.dataSourceArn)).toHaveLength(1);
    expect(await stack.emulator.control.calls({ operation: 'AttachDataSource' })).toHaveLength(1);
  });

  it('resumes after the worker process is SIGKILLed while PENDING, with exactly one attachment', async () => {
    const target = await fixture('dsa-sigkill', { creating: true });
    const taskQueue = `dsa-sigkill-${randomUUID().slice(0, 8)}`;
    const child = spawnWorker({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      ROLLOUTS_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL: stack.emulator.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
    });
    try {
      await child.waitForLine(/"msg":"worker started"/);
      const { handle, workflowId } = await start(target, taskQueue);
      await untilPolled(2);
      child.child.kill('SIGKILL');
      expect(await child.exited).toBe('SIGKILL');
      // The dead worker's sticky queue would hold the next workflow task until its timeout.
      await stack.client.workflowService.resetStickyTaskQueue({
        namespace: stack.namespace,
        execution: { workflowId },
      });
      await stack.emulator.control.setApplicationStatus(target.applicationId, 'ACTIVE');

      const replacement = await createRolloutWorker({
        connection: stack.nativeConnection,
        namespace: stack.namespace,
        taskQueue,
        deps: { aws: stack.aws },
        // Tests: a non-deterministic change fails the run instead of blocking it.
        failOnNondeterminism: true,
        shutdownGraceTime: '1s',
      });
      const result = await replacement.runUntil(dataSourceAttachmentResult(handle));
      expect(result.status).toBe('ATTACHED');
      expect(await attachmentsOf(target.dataSourceArn)).toHaveLength(1);
      expect(await stack.emulator.control.calls({ operation: 'AttachDataSource' })).toHaveLength(1);
    } finally {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    }
  });

  it('joins a second start of the same attachment, refuses another workspace, and never attaches twice', async () => {
    const target = await fixture('dsa-twice', { creating: true });
    const first = await start({ ...target, workspaceId: 'ws-1' });
    const second = await start({ ...target, workspaceId: 'ws-1' });
    expect(second.workflowId).toBe(first.workflowId);
    // Handles without a run id follow the latest run: keep the first run's id for later.
    const firstRunId = (await first.handle.describe()).runId;
    expect((await second.handle.describe()).runId).toBe(firstRunId);
    await expect(start({ ...target, workspaceId: 'ws-2' })).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof DataSourceAttachmentConflictError &&
        /already running .* with existing workspace ws-1/.test(e.message),
    );

    await untilPolled(1);
    await stack.emulator.control.setApplicationStatus(target.applicationId, 'ACTIVE');
    const [a, b] = await Promise.all([
      dataSourceAttachmentResult(first.handle),
      dataSourceAttachmentResult(second.handle),
    ]);
    expect(b.attachmentId).toBe(a.attachmentId);

    // After the run closed, a new start is a new run that AWS answers with the same attachment.
    const third = await start({ ...target, workspaceId: 'ws-1' });
    const c = await dataSourceAttachmentResult(third.handle);
    expect(c).toMatchObject({ attachmentId: a.attachmentId, attachedOnRequest: true });
    expect((await third.handle.describe()).runId).not.toBe(firstRunId);
    expect(await attachmentsOf(target.dataSourceArn)).toHaveLength(1);
  });

  it('rejects bad input before any AWS call, in the client and in the workflow', async () => {
    const target = await fixture('dsa-bad', { creating: false });
    await stack.emulator.control.clearCalls();
    await expect(
      start({ ...target, workspaceConfiguration: { name: 'no/slashes', workspaceType: 'SEARCH' } }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof InvalidInputError &&
        /workspaceConfiguration\.name: .*AWS workspace name rule/.test(e.message),
    );
    await expect(start({ ...target, dataSourceArn: 'arn:aws:es:us-east-1:123:domain/x' })).rejects.toThrow(
      /dataSourceArn: must be an OpenSearch domain ARN/,
    );
    await expect(
      start({
        ...target,
        workspaceId: 'ws-1',
        workspaceConfiguration: { name: 'ops', workspaceType: 'SEARCH' },
      }),
    ).rejects.toThrow(/not both/);

    // Another language's service may start the workflow directly: it validates again.
    const handle = await stack.client.workflow.start(WorkflowTypes.dataSourceAttachment, {
      taskQueue: stack.taskQueue,
      workflowId: `bad-attachment-${randomUUID()}`,
      args: [{ ...target, dataSourceArn: 'not-an-arn' }],
    });
    const failure = await failureOf(handle);
    expect(failure.type).toBe('InvalidInput');
    expect(failure.message).toMatch(/dataSourceArn: must be an OpenSearch domain ARN/);
    expect(failure.details?.[0]).toMatchObject({ issues: [{ field: 'dataSourceArn' }] });
    expect(await stack.emulator.control.calls({ service: 'es' })).toEqual([]);
  });

  it('fails with AwsRequestRejected for an application AWS does not know, before attaching', async () => {
    const target = await fixture('dsa-noapp', { creating: false });
    const { handle } = await start({ ...target, applicationId: 'doesnotexist0' });
    const failure = await failureOf(handle);
    expect(failure.type).toBe('AwsRequestRejected');
    expect(failure.message).toMatch(/GetApplication: ResourceNotFoundException: .*application doesnotexist0/);
    expect(await stack.emulator.control.calls({ operation: 'AttachDataSource' })).toEqual([]);
  });
});

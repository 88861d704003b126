import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { startPluginRollout } from '../../src/client/plugin-rollout.js';
import {
  HELD_DOWNLOAD_HOLD_AT,
  HELD_DOWNLOAD_SIZE,
  startHeldDownload,
  type HeldDownload,
} from '../helpers/held-download.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import type { RunningProcess } from '../../harness/child-process.js';
import { awsClientsFor, TEST_CREDENTIALS } from '../helpers/aws.js';
import { recordHistory } from '../helpers/history.js';
import { spawnWorker } from '../helpers/worker-process.js';

/**
 * The workflow-level counterpart of staging-heartbeat.test.ts: a dictionary rollout (the real
 * workflow, two production worker processes) whose worker is SIGKILLed while it stages a 50 MB URL
 * source. The rollout schedules staging with a 10 s heartbeat timeout (patch `staging-heartbeat`),
 * so the server retries the staging on the other worker after the heartbeat timeout, not after the
 * 5-minute start-to-close timeout, and the rollout ends as if nothing had happened.
 */
const SIZE = HELD_DOWNLOAD_SIZE;
const HOLD_AT = HELD_DOWNLOAD_HOLD_AT;
let emulator: RunningEmulator;
let server: Server;
let base: string;
let requests: HeldDownload['requests'] = [];
let connection: Connection;
const workers: RunningProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    durations: { packageCopyingMs: 200, packageValidatingMs: 200, associationMs: 300 },
  });
  await emulator.control.seedDomains([{ name: 'hb-kill' }]);
  const aws = awsClientsFor(emulator);
  await aws.s3.send(new CreateBucketCommand({ Bucket: 'hb-kill-staging' }));
  destroyAwsClients(aws);
  // The first download holds at 8 MB until the test has killed the worker running it.
  ({ server, base, requests } = await startHeldDownload());
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await connection?.close();
  server?.closeAllConnections();
  server?.close();
  await emulator?.stop();
});

async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a dictionary rollout whose worker dies while staging a 50 MB URL source', () => {
  it('resumes on the other worker after the heartbeat timeout and ends succeeded', async () => {
    const taskQueue = `hb-kill-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 2; i++)
      workers.push(
        spawnWorker({
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          ROLLOUTS_TASK_QUEUE: taskQueue,
          ROLLOUTS_SHUTDOWN_GRACE_SECONDS: '1',
          AWS_ENDPOINT_URL: emulator.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        }),
      );
    await Promise.all(workers.map((w) => w.waitForLine(/"msg":"worker started"/, 180_000)));

    const client = new Client({ connection });
    const { workflowId } = await startDictionaryRollout(
      client,
      {
        packageName: 'synonyms-hb-kill',
        source: { kind: 'url', url: `${base}/synonyms.txt` },
        staging: { bucket: 'hb-kill-staging' },
        domains: ['hb-kill'],
        policy: { pollIntervalSeconds: 0.3 },
      },
      { taskQueue },
    );
    await until(() => (requests[0]?.sent ?? 0) >= HOLD_AT, 'the first download to reach 8 MB');
    // The worker running the staging right now: Temporal names its identity (pid@host).
    const pending = (await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? [];
    const identity = pending.find((p) => p.activityType?.name === 'stageDictionary')?.lastWorkerIdentity;
    const victim = workers.find((w) => identity?.startsWith(`${w.child.pid}@`));
    expect(victim, `a worker with identity ${identity}`).toBeDefined();
    victim!.child.kill('SIGKILL');
    const killedAt = Date.now();

    const result = await dictionaryRolloutResult(client.workflow.getHandle(workflowId));
    expect(result.outcome).toBe('succeeded');
    expect(result.packageChange).toBe('created');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.sent).toBe(SIZE);
    // A figure, not an assertion: how long the kill stalled the rollout (kill to second download).
    console.log(`staging resumed ${((requests[1]!.at - killedAt) / 1000).toFixed(1)} s after the kill`);

    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'stageDictionary',
    )!.activityTaskScheduledEventAttributes!;
    expect(Number(scheduled.heartbeatTimeout?.seconds)).toBe(10);
    expect(Number(scheduled.startToCloseTimeout?.seconds)).toBe(300);
    const started = events.find(
      (e) =>
        e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ===
        events.find((x) => x.activityTaskScheduledEventAttributes === scheduled)!.eventId!.toString(),
    )!.activityTaskStartedEventAttributes!;
    expect(started.attempt).toBe(2);
    // The first attempt ended by the heartbeat timeout: the bound that applied is seconds.
    expect(started.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
      proto.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
    );
    await recordHistory(client, workflowId, 'dictionary-rollout-staging-heartbeat');
  });
});

describe('a plugin rollout whose worker dies while staging the plugin file', () => {
  it('retries the staging after the heartbeat timeout, not the 5-minute start-to-close timeout', async () => {
    // Found by the chaos suite: the plugin rollout scheduled staging without a heartbeat timeout.
    const held = await startHeldDownload();
    try {
      const client = new Client({ connection });
      const queue = `hb-kill-plugin-${randomUUID().slice(0, 8)}`;
      const pluginWorkers = [0, 1].map(() =>
        spawnWorker({
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          ROLLOUTS_TASK_QUEUE: queue,
          ROLLOUTS_SHUTDOWN_GRACE_SECONDS: '1',
          AWS_ENDPOINT_URL: emulator.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        }),
      );
      workers.push(...pluginWorkers);
      await Promise.all(pluginWorkers.map((w) => w.waitForLine(/"msg":"worker started"/, 180_000)));
      const { handle, workflowId } = await startPluginRollout(
        client,
        {
          engineVersion: 'OpenSearch_2.19',
          bundle: {
            plugin: {
              packageName: 'plugin-hb-kill',
              source: { kind: 'url', url: `${held.base}/plugin.zip` },
            },
          },
          staging: { bucket: 'hb-kill-staging' },
          domains: ['hb-kill'],
          pollIntervalSeconds: 0.3,
        },
        { taskQueue: queue },
      );
      await until(() => (held.requests[0]?.sent ?? 0) >= HOLD_AT, 'the first download to reach 8 MB');
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const identity = pending.find((p) => p.activityType?.name === 'stageDictionary')?.lastWorkerIdentity;
      const victim = pluginWorkers.find((w) => identity?.startsWith(`${w.child.pid}@`));
      expect(victim, `a worker with identity ${identity}`).toBeDefined();
      victim!.child.kill('SIGKILL');
      // The second download is the retried staging; the run itself may then end either way (the
      // held file is dictionary lines, not a ZIP): what matters here is how the staging was retried.
      await until(() => held.requests.length >= 2 && held.requests[1]!.sent === SIZE, 'the retried download');
      await handle.result().catch(() => undefined);
      const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const scheduledEvent = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'stageDictionary',
      )!;
      expect(Number(scheduledEvent.activityTaskScheduledEventAttributes!.heartbeatTimeout?.seconds)).toBe(10);
      const started = events.find(
        (e) =>
          e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ===
          scheduledEvent.eventId!.toString(),
      )!.activityTaskStartedEventAttributes!;
      expect(started.attempt).toBe(2);
      expect(started.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
        proto.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      );
      await recordHistory(client, workflowId, 'plugin-rollout-staging-heartbeat');
    } finally {
      held.server.closeAllConnections();
      held.server.close();
    }
  });
});

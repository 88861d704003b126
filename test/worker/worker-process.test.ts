import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { awsClientsFor } from '../helpers/aws.js';
import { spawnWorker } from '../helpers/worker-process.js';

let emulator: RunningEmulator;
let connection: Connection;

beforeAll(async () => {
  emulator = await startEmulator();
  connection = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
  await emulator?.stop();
});

describe('the worker process (npm run worker)', () => {
  it('stops at start on a bad configuration value, naming the variable', async () => {
    const worker = spawnWorker({ TEMPORAL_ADDRESS: 'not-an-address' });
    expect(await worker.exited).toBe(78);
    expect(worker.output()).toMatch(
      /configuration error: TEMPORAL_ADDRESS must be host:port with a port from 1 to 65535, got 'not-an-address'/,
    );
  });

  it('runs a workflow a client starts, logs JSON, and stops cleanly on SIGTERM', async () => {
    const worker = await runRolloutThenSigterm('source');
    expect(worker.output()).toMatch(/"workflows":"\(bundled from source at start\)"/);
  });

  it('serves Prometheus metrics, and on SIGINT lets a running activity finish within the grace period', async () => {
    // A dictionary URL that answers after 3 s keeps the stage activity running while the worker stops.
    let requested = false;
    const server = createServer((_req, res) => {
      requested = true;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('slow, sluggish\n');
      }, 3_000);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const taskQueue = `worker-process-grace-${randomUUID().slice(0, 8)}`;
    const metricsPort = await freePort();
    const worker = spawnWorker({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      ROLLOUTS_TASK_QUEUE: taskQueue,
      ROLLOUTS_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      ROLLOUTS_SHUTDOWN_GRACE_SECONDS: '20',
      AWS_ENDPOINT_URL: emulator.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
    });
    const client = new Client({ connection });
    let workflowId: string | undefined;
    try {
      await worker.waitForLine(/"msg":"worker started"/);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/^# (HELP|TYPE) temporal_/m);

      await emulator.control.seedDomains([{ name: 'proc-grace' }]);
      const aws = awsClientsFor(emulator);
      await aws.s3.send(new CreateBucketCommand({ Bucket: 'proc-staging-grace' }));
      destroyAwsClients(aws);
      const started = await startDictionaryRollout(
        client,
        {
          packageName: 'synonyms-proc-grace',
          source: { kind: 'url', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/d.txt` },
          staging: { bucket: 'proc-staging-grace' },
          domains: ['proc-grace'],
          policy: { pollIntervalSeconds: 0.2 },
        },
        { taskQueue },
      );
      workflowId = started.workflowId;
      // Wait until the stage activity is running on the worker (its download has reached the
      // server: a pending activity may still be only scheduled), then ask the worker to stop.
      const deadline = Date.now() + 20_000;
      while (!requested) {
        if (Date.now() > deadline) throw new Error('stage activity never started');
        await new Promise((r) => setTimeout(r, 100));
      }
      worker.child.kill('SIGINT');
      expect(await worker.exited).toBe(0);
      expect(worker.output()).toMatch(/"msg":"worker stopping.*"signal":"SIGINT"/);
      // The activity that was running when SIGINT came completed (it was not cut off).
      const history = await started.handle.fetchHistory();
      const completed = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes);
      expect(completed.length).toBe(1);
      const scheduled = (history.events ?? []).find((e) => e.activityTaskScheduledEventAttributes);
      expect(scheduled?.activityTaskScheduledEventAttributes?.activityType?.name).toBe('stageDictionary');
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      if (workflowId)
        await client.workflow
          .getHandle(workflowId)
          .terminate('test done')
          .catch(() => undefined);
      await new Promise((r) => server.close(r));
    }
  });

  it('runs from the production build: node dist/worker/main.js with the prebuilt workflow bundle', async () => {
    // What `npm run build` ships: tsc output plus dist/workflow-bundle.js (no webpack at start).
    execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
    const worker = await runRolloutThenSigterm('build');
    expect(worker.output()).toMatch(/"workflows":"[^"]*dist\/workflow-bundle\.js"/);
  }, 240_000);
});

/** Starts the worker process, runs a one-domain rollout through it, then stops it with SIGTERM. */
async function runRolloutThenSigterm(from: 'source' | 'build') {
  const taskQueue = `worker-process-${from}-${randomUUID().slice(0, 8)}`;
  const worker = spawnWorker(
    {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      ROLLOUTS_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL: emulator.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
    },
    from,
  );
  try {
    const started = JSON.parse(await worker.waitForLine(/"msg":"worker started"/));
    expect(started).toMatchObject({ level: 'INFO', taskQueue, awsEndpoint: emulator.url });

    await emulator.control.seedDomains([{ name: `proc-${from}` }]);
    const aws = awsClientsFor(emulator);
    await aws.s3.send(new CreateBucketCommand({ Bucket: `proc-staging-${from}` }));
    destroyAwsClients(aws);
    const client = new Client({ connection });
    const { handle } = await startDictionaryRollout(
      client,
      {
        packageName: `synonyms-proc-${from}`,
        source: { kind: 'inline', text: `proc, process, ${from}\n` },
        staging: { bucket: `proc-staging-${from}` },
        domains: [`proc-${from}`],
        policy: { pollIntervalSeconds: 0.2 },
      },
      { taskQueue },
    );
    const result = await dictionaryRolloutResult(handle);
    expect(result.outcome).toBe('succeeded');
    expect(result.domains[0]).toMatchObject({ domain: `proc-${from}`, state: 'current', version: 'v1' });
  } finally {
    worker.child.kill('SIGTERM');
  }
  expect(await worker.exited).toBe(0);
  expect(worker.output()).toMatch(
    /"msg":"worker stopping: finishing running activities within the grace period".*"signal":"SIGTERM"/,
  );
  expect(worker.output()).toMatch(/"msg":"worker stopped"/);
  return worker;
}

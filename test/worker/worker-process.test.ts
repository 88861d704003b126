import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { destroyAwsClients } from '../../src/activities/aws-clients.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { awsClientsFor } from '../helpers/stack.js';
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
      /configuration error: TEMPORAL_ADDRESS must be host:port, got 'not-an-address'/,
    );
  });

  it('runs a workflow a client starts, logs JSON, and stops cleanly on SIGTERM', async () => {
    const worker = await runRolloutThenSigterm('source');
    expect(worker.output()).toMatch(/"workflows":"\(bundled from source at start\)"/);
  });

  it('runs from the production build: node dist/worker.js with the prebuilt workflow bundle', async () => {
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

import { randomBytes, randomUUID } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { ENCRYPTED_ENCODING } from '../../src/codec/encryption-codec.js';
import { dataConverterFromEnv } from '../../src/codec/env.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { awsClientsFor } from '../helpers/aws.js';
import { spawnWorker } from '../helpers/worker-process.js';

/**
 * The worker process with ROLLOUTS_PAYLOAD_KEY set, and a client built with
 * dataConverterFromEnv(): a rollout runs end to end, and what the server stores is ciphertext.
 */
let emulator: RunningEmulator;
let connection: Connection;
const KEY = randomBytes(32).toString('base64');
const DICTIONARY = `codec-canary-${randomUUID()}, encrypted at rest\n`;

beforeAll(async () => {
  emulator = await startEmulator();
  connection = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
  await emulator?.stop();
});

describe('payload encryption with a worker process and a client', () => {
  it('runs a rollout; histories hold only ciphertext; clients without the key cannot read it', async () => {
    const taskQueue = `codec-${randomUUID().slice(0, 8)}`;
    const env = { ROLLOUTS_PAYLOAD_KEY: KEY, ROLLOUTS_PAYLOAD_KEY_ID: 'test-key' };
    const worker = spawnWorker({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      ROLLOUTS_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL: emulator.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      ...env,
    });
    try {
      const started = JSON.parse(await worker.waitForLine(/"msg":"worker started"/));
      expect(started.payloadEncryption).toBe('AES-256-GCM, key test-key');
      expect(worker.output()).not.toContain(KEY);

      await emulator.control.seedDomains([{ name: 'codec-1' }]);
      const aws = awsClientsFor(emulator);
      await aws.s3.send(new CreateBucketCommand({ Bucket: 'codec-staging' }));
      destroyAwsClients(aws);

      const client = new Client({ connection, dataConverter: dataConverterFromEnv(env) });
      const { handle, workflowId } = await startDictionaryRollout(
        client,
        {
          packageName: 'synonyms-codec',
          source: { kind: 'inline', text: DICTIONARY },
          staging: { bucket: 'codec-staging' },
          domains: ['codec-1'],
          policy: { pollIntervalSeconds: 0.2 },
        },
        { taskQueue },
      );
      const result = await dictionaryRolloutResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.domains[0]).toMatchObject({ domain: 'codec-1', state: 'current', version: 'v1' });

      // What the server stores: every payload encrypted; the inline dictionary nowhere in clear.
      const plainClient = new Client({ connection });
      const history = await plainClient.workflow.getHandle(workflowId).fetchHistory();
      const payloads: Array<{
        metadata?: Record<string, Uint8Array | null> | null;
        data?: Uint8Array | null;
      }> = [];
      const collect = (value: unknown): void => {
        if (!value || typeof value !== 'object') return;
        if (value instanceof Uint8Array) return;
        const v = value as { metadata?: unknown; data?: unknown };
        if (v.metadata && typeof v.metadata === 'object' && 'encoding' in (v.metadata as object))
          payloads.push(v as (typeof payloads)[number]);
        for (const child of Object.values(value)) collect(child);
      };
      collect(history.events);
      // Input, activity inputs and results, the result, search attributes (which stay plain: the
      // server must index them) ...
      const encodings = payloads.map((p) => Buffer.from(p.metadata!.encoding!).toString());
      expect(encodings.filter((e) => e === ENCRYPTED_ENCODING).length).toBeGreaterThanOrEqual(10);
      expect(encodings.filter((e) => e !== ENCRYPTED_ENCODING && e !== 'json/plain')).toEqual([]);
      const everything = JSON.stringify(history, (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
      );
      expect(everything).not.toContain('codec-canary-');
      expect(everything).not.toContain('"packageName"');

      // A client without the key sees ciphertext it cannot decode; one with another key is refused.
      await expect(plainClient.workflow.getHandle(workflowId).result()).rejects.toThrow(
        /binary\/encrypted|Unknown encoding/i,
      );
      const wrongKey = new Client({
        connection,
        dataConverter: dataConverterFromEnv({
          ROLLOUTS_PAYLOAD_KEY: randomBytes(32).toString('base64'),
          ROLLOUTS_PAYLOAD_KEY_ID: 'test-key',
        }),
      });
      await expect(wrongKey.workflow.getHandle(workflowId).result()).rejects.toThrow(
        /cannot decrypt payload with key 'test-key'/,
      );

      // Strict mode (on with the key): a plain input injected by someone without the key is not
      // run: the worker fails each workflow task naming the rule, and nothing reaches AWS.
      const callsBefore = (await emulator.control.calls()).length;
      const injected = await plainClient.workflow.start('dictionaryRollout', {
        taskQueue,
        workflowId: `codec-injected-${randomUUID()}`,
        args: [
          {
            packageName: 'synonyms-injected',
            source: { kind: 'inline', text: 'injected, plain\n' },
            staging: { bucket: 'codec-staging' },
            domains: ['codec-1'],
          },
        ],
      });
      let failure = '';
      for (let i = 0; i < 100 && !failure; i++) {
        const events = (await injected.fetchHistory()).events ?? [];
        const failed = events.find((e) => e.workflowTaskFailedEventAttributes);
        failure = failed?.workflowTaskFailedEventAttributes?.failure?.message ?? '';
        if (!failure) await new Promise((r) => setTimeout(r, 200));
      }
      expect(failure).toMatch(/refusing a payload that is not encrypted/);
      expect((await injected.describe()).status.name).toBe('RUNNING');
      expect((await emulator.control.calls()).length).toBe(callsBefore);
      await injected.terminate('test: injected plain input');
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
  });
});

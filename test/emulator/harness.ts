import { IoTClient } from '@aws-sdk/client-iot';
import { OpenSearchClient } from '@aws-sdk/client-opensearch';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { EmulatorControl } from '../../src/emulator/control-client.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';
import type { Durations } from '../../src/emulator/types.js';

export const credentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };

export interface AwsClients {
  opensearch: OpenSearchClient;
  iot: IoTClient;
  s3: S3Client;
}

/** Clients exactly as a user would configure them: only the endpoint points at the emulator. */
export function clientsFor(url: string, maxAttempts?: number): AwsClients {
  const common = {
    endpoint: url,
    region: 'us-east-1',
    credentials,
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
  };
  return {
    opensearch: new OpenSearchClient(common),
    iot: new IoTClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
  };
}

export function destroyClients(clients: AwsClients): void {
  clients.opensearch.destroy();
  clients.iot.destroy();
  clients.s3.destroy();
}

/**
 * Durations far longer than any test takes in real time, so that a status only changes when a
 * test advances the emulator clock: no sleeping, no races with a slow machine.
 */
export const SLOW: Durations = {
  domainProcessingMs: 600_000,
  packageCopyingMs: 60_000,
  packageValidatingMs: 60_000,
  associationMs: 120_000,
  dissociationMs: 60_000,
  packageDeletingMs: 0,
  applicationCreatingMs: 30_000,
  attachmentExpiryMs: 24 * 60 * 60 * 1000,
  blueGreenMs: 900_000,
};

export interface Harness extends AwsClients {
  emulator: RunningEmulator;
  control: EmulatorControl;
  /** The same clients without retries, for fault tests. */
  once: AwsClients;
  advance(ms: number): Promise<void>;
  putObject(bucket: string, key: string, body: string | Buffer): Promise<void>;
}

/**
 * One emulator per test file, reset before each test. The returned object is filled in by
 * beforeAll, so tests read its members only inside hooks and tests.
 */
export function useEmulator(options: EmulatorOptions = {}, durations: Partial<Durations> = SLOW): Harness {
  const harness = {} as Harness;
  let clients: AwsClients[] = [];
  beforeAll(async () => {
    const emulator = await startEmulator({ seed: 42, ...options });
    const standard = clientsFor(emulator.url);
    const once = clientsFor(emulator.url, 1);
    clients = [standard, once];
    Object.assign(harness, standard, {
      emulator,
      control: emulator.control,
      once,
      advance: async (ms: number) => {
        await emulator.control.setClock({ advanceMs: ms });
      },
      putObject: async (bucket: string, key: string, body: string | Buffer) => {
        await standard.s3.send(new CreateBucketCommand({ Bucket: bucket }));
        await standard.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: typeof body === 'string' ? Buffer.from(body) : body,
          }),
        );
      },
    });
  });
  beforeEach(async () => {
    await harness.control.reset();
    await harness.control.setDurations(durations);
  });
  afterAll(async () => {
    clients.forEach(destroyClients);
    await harness.emulator?.stop();
  });
  return harness;
}

/** For assertions on rejected SDK calls: the error name (code), message and HTTP status. */
export async function failure(promise: Promise<unknown>): Promise<{
  name: string;
  message: string;
  status: number | undefined;
  error: Record<string, unknown>;
}> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode, error: err as never };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

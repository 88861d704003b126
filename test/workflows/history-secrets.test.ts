import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fileContentNeedles,
  scanHistories,
  secretNeedles,
  type Needle,
} from '../../harness/history-secrets.js';
import { createEmulatorAwsClients, destroyAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { startDataSourceAttachment } from '../../src/client/data-source-attachment.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { startIotPackageRelease } from '../../src/client/iot-package-release.js';
import { packageRemovalResult, startPackageRemoval } from '../../src/client/package-removal.js';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { createRolloutWorker } from '../../src/worker/create-worker.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Histories are kept by Temporal (and shown by the Web UI, exported, archived): nothing secret
 * may be recorded there. A few rollouts of every kind run on a worker with distinctive AWS
 * credentials (with a session token) and payload encryption on, some of them through throttling,
 * lost responses and failed associations so that error messages land in history too; then every
 * history is scanned, payloads decrypted, for the credentials, the payload key, request
 * signatures and the contents of the files the rollouts read.
 */

const CREDENTIALS = {
  accessKeyId: 'AKIAHISTORYSCAN0TST1',
  secretAccessKey: randomBytes(30).toString('base64'),
  sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(48).toString('base64')}`,
};
const PAYLOAD_KEY = randomBytes(32).toString('base64');
const canary = () => `canary-${randomUUID()}`;
const FILES = {
  s3Dictionary: `automobile, car, ${canary()}\nfeline, cat, kitty, ${canary()}\n`,
  urlDictionary: `quick, fast, speedy, ${canary()}\nstopword-${canary()}\n`,
  s3DictionaryV2: `automobile, car, motorcar, ${canary()}\n`,
  firmware: `firmware image ${canary()} do not record\n`,
};
const BUCKET = 'secrets-scan';

let stack: TestStack;
let aws: AwsClients;
let worker: Worker;
let running: Promise<void>;
let client: Client;
let codec: EncryptionCodec;
let taskQueue: string;
let http: Server;
let httpBase: string;

beforeAll(async () => {
  stack = await startTestStack('history-secrets');
  codec = new EncryptionCodec({
    id: 'history-scan',
    key: new Uint8Array(Buffer.from(PAYLOAD_KEY, 'base64')),
  });
  aws = createEmulatorAwsClients(stack.emulator.url, { credentials: CREDENTIALS });
  taskQueue = `${stack.taskQueue}-secrets`;
  worker = await createRolloutWorker({
    connection: stack.nativeConnection,
    namespace: stack.namespace,
    taskQueue,
    deps: { aws },
    // Tests: a non-deterministic change fails the run instead of blocking it.
    failOnNondeterminism: true,
    shutdownGraceTime: '1s',
    dataConverter: { payloadCodecs: [codec] },
  });
  running = worker.run();
  client = new Client({
    connection: stack.connection,
    namespace: stack.namespace,
    dataConverter: { payloadCodecs: [codec] },
  });
  await stack.emulator.control.seedDomains(['sec-a', 'sec-b', 'sec-c', 'sec-fail'].map((name) => ({ name })));
  await stack.emulator.control.configureDomain('sec-fail', { failAssociation: 'analyzer heap exhausted' });
  await stack.emulator.control.setDurations({ associationMs: 200, dissociationMs: 200 });
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [key, body] of Object.entries(FILES))
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `sources/${key}.txt`, Body: body }));
  http = createServer((req, res) => {
    if (req.url === '/synonyms.txt') res.writeHead(200).end(FILES.urlDictionary);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  if (aws) destroyAwsClients(aws);
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await stack?.stop();
});

const runs: Array<{ workflowId: string; runId: string; kind: string }> = [];

function record(kind: string, handle: WorkflowHandle) {
  const runId = (handle as WorkflowHandle & { firstExecutionRunId?: string }).firstExecutionRunId;
  expect(runId, `${kind}: the start returned its run id`).toBeTruthy();
  runs.push({ workflowId: handle.workflowId, runId: runId!, kind });
}

/** Waits for the end, whatever it is; the test is about what the history holds. */
async function ended(handle: WorkflowHandle): Promise<void> {
  await handle.result().catch((err: unknown) => {
    if (!(err instanceof WorkflowFailedError)) throw err;
  });
}

const fast = { pollIntervalSeconds: 0.1 };

describe('workflow histories hold no secrets', () => {
  it('runs rollouts of every kind, some through faults and failures', async () => {
    // The application step 6 attaches to, made before the fault rules: the test's own call is
    // setup, and three throttled SDK attempts in a row (2.7 %) would fail the test, not a workflow.
    const app = await aws.opensearch.send(new CreateApplicationCommand({ name: 'secrets-app' }));

    // 1. Dictionary from S3, with throttling and a lost response on the way.
    await stack.emulator.control.addFault({
      service: 'es',
      operation: 'CreatePackage',
      loseResponseProbability: 1,
      remaining: 1,
    });
    await stack.emulator.control.addFault({ mutatingOnly: true, throttleProbability: 0.3 });
    const first = await startDictionaryRollout(
      client,
      {
        packageName: 'secrets-dict',
        source: { kind: 's3', bucket: BUCKET, key: 'sources/s3Dictionary.txt' },
        staging: { bucket: BUCKET },
        domains: ['sec-a', 'sec-b'],
        policy: fast,
      },
      { taskQueue },
    );
    record('dictionaryRollout', first.handle);
    expect((await dictionaryRolloutResult(first.handle)).outcome).toBe('succeeded');

    // 2. From a URL to a domain that fails its association: a partial rollout, errors in history.
    const second = await startDictionaryRollout(
      client,
      {
        packageName: 'secrets-url-dict',
        source: { kind: 'url', url: `${httpBase}/synonyms.txt` },
        staging: { bucket: BUCKET },
        domains: ['sec-a', 'sec-fail'],
        policy: { ...fast, failurePolicy: 'continue' },
      },
      { taskQueue },
    );
    record('dictionaryRollout', second.handle);
    expect((await dictionaryRolloutResult(second.handle)).outcome).toBe('partial');

    // 3. A new version of the first package (UpdatePackage).
    const third = await startDictionaryRollout(
      client,
      {
        packageName: 'secrets-dict',
        source: { kind: 's3', bucket: BUCKET, key: 'sources/s3DictionaryV2.txt' },
        staging: { bucket: BUCKET },
        domains: ['sec-a', 'sec-b', 'sec-c'],
        policy: fast,
      },
      { taskQueue },
    );
    record('dictionaryRollout', third.handle);
    expect((await dictionaryRolloutResult(third.handle)).packageChange).toBe('updated');

    // 4. Removal of the first package.
    const removal = await startPackageRemoval(
      client,
      { packageName: 'secrets-dict', ...fast },
      { taskQueue },
    );
    record('packageRemoval', removal.handle);
    expect((await packageRemovalResult(removal.handle)).outcome).toBe('removed');

    // 5. IoT releases (the artifact is a file in S3).
    for (const versionName of ['1.0.0', '1.1.0']) {
      const release = await startIotPackageRelease(
        client,
        {
          packageName: 'secrets-firmware',
          versionName,
          description: `release ${versionName}`,
          attributes: { channel: 'stable' },
          artifact: { bucket: BUCKET, key: 'sources/firmware.txt' },
          deprecateOlder: { keepLast: 1 },
        },
        { taskQueue },
      );
      record('iotPackageRelease', release.handle);
      await ended(release.handle);
    }

    // 6. A data source attachment.
    const attach = await startDataSourceAttachment(
      client,
      {
        applicationId: app.id!,
        dataSourceArn: 'arn:aws:es:us-east-1:123456789012:domain/sec-c',
        workspaceConfiguration: { name: 'Ops', workspaceType: 'OBSERVABILITY' },
        ...fast,
      },
      { taskQueue },
    );
    record('dataSourceAttachment', attach.handle);
    await ended(attach.handle);
    await stack.emulator.control.clearFaults();

    expect(new Set(runs.map((r) => r.kind))).toEqual(
      new Set(['dictionaryRollout', 'packageRemoval', 'iotPackageRelease', 'dataSourceAttachment']),
    );
    // The faults did fire, so AWS error messages are in these histories too.
    const faulted = (await stack.emulator.control.calls()).filter((c) => c.fault);
    expect(faulted.length).toBeGreaterThan(0);
  });

  const needles = (): Needle[] => [
    ...secretNeedles('AWS_ACCESS_KEY_ID', CREDENTIALS.accessKeyId),
    ...secretNeedles('AWS_SECRET_ACCESS_KEY', CREDENTIALS.secretAccessKey),
    ...secretNeedles('AWS_SESSION_TOKEN', CREDENTIALS.sessionToken),
    ...secretNeedles('ROLLOUTS_PAYLOAD_KEY', PAYLOAD_KEY),
    // The in-process test worker's credentials (test/helpers/stack.ts).
    ...secretNeedles('test stack AWS secret', 'test-secret'),
    ...Object.entries(FILES).flatMap(([name, text]) => fileContentNeedles(`file ${name}`, text)),
  ];

  it('finds no credential, key, token, signature or file content in any of those histories', async () => {
    expect(runs.length).toBeGreaterThanOrEqual(7);
    const report = await scanHistories(client, runs, needles(), codec);
    expect(report.histories).toBe(runs.length);
    expect(report.payloads).toBeGreaterThan(runs.length * 2);
    expect(report.findings).toEqual([]);
  });

  it('the scan does find a secret that is there (a dictionary passed inline is recorded by design)', async () => {
    const inline = canary();
    const { handle } = await startDictionaryRollout(
      client,
      {
        packageName: 'secrets-inline',
        source: { kind: 'inline', text: `planted, ${inline}\n` },
        staging: { bucket: BUCKET },
        domains: ['sec-c'],
        dryRun: true,
        policy: fast,
      },
      { taskQueue },
    );
    await ended(handle);
    const runId = (handle as WorkflowHandle & { firstExecutionRunId?: string }).firstExecutionRunId!;
    const planted: Needle[] = [{ label: 'planted inline text', value: `planted, ${inline}` }];
    const decoded = await scanHistories(client, [{ workflowId: handle.workflowId, runId }], planted, codec);
    expect(decoded.findings.map((f) => [f.needle, f.where])).toContainEqual([
      'planted inline text',
      'payload (decoded)',
    ]);
    // Encrypted at rest: the stored payload does not show it.
    expect(decoded.findings.filter((f) => f.where === 'payload (stored)')).toEqual([]);
  });
});

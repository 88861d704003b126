/**
 * The stack a chaos run abuses: the Temporal dev server on a database file, the AWS emulator, the
 * run's one OpenSearch node (behind its slow proxy), the webhook receiver, a workflow bundle, two
 * worker processes (with AWS credentials, payload encryption, short AWS timeouts and the shared
 * call budget), the suite's own client and AWS clients, and the server of URL sources.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createEmulatorAwsClients, destroyAwsClients } from '../src/aws/clients.js';
import { createPlaceClients } from '../src/aws/places.js';
import type { EncryptionCodec } from '../src/codec/encryption-codec.js';
import { startEmulator } from '../src/emulator/server.js';
import { resolveTemporalCli } from '../src/temporal/cli.js';
import { freePort } from '../src/temporal/dev-server.js';
import { workflowsEntry } from '../src/worker/create-worker.js';
import { TASK_QUEUE } from './chains.js';
import { TemporalServer, WorkerFleet } from './fleet.js';
import { log } from './log.js';
import { startChaosNode } from './node.js';
import type { SizeSpec } from './options.js';
import type { Plan } from './plan.js';
import { FLEET_EXTERNAL_ID, FLEET_ROLE } from './plan-fleet.js';
import { Receiver } from './receiver.js';

const REGION = 'us-east-1';
/** The workers' budget (ROLLOUTS_AWS_CALLS_PER_SECOND), under the emulator's assumed 10/s. */
export const AWS_CALLS_PER_SECOND = 8;

/** What the workers hold and no history may: AWS credentials and the payload key. */
export interface Secrets {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  payloadKey: string;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function startStack(x: {
  seed: number;
  plan: Plan;
  spec: SizeSpec;
  dir: string;
  secrets: Secrets;
  codec: EncryptionCodec;
  cleanups: Array<() => Promise<unknown>>;
}) {
  const { seed, plan, spec, dir, secrets, codec, cleanups } = x;
  const cli = await resolveTemporalCli({ log });
  const server = new TemporalServer(cli, await freePort(), join(dir, 'temporal.db'));
  const emulatorStarted = startEmulator({
    seed,
    // The fleet chains' third place: another account, reached through this role.
    roles: [{ arn: FLEET_ROLE, externalId: FLEET_EXTERNAL_ID }],
    durations: {
      packageCopyingMs: 300,
      packageValidatingMs: 300,
      associationMs: 1500,
      dissociationMs: 1000,
      blueGreenMs: 2500,
    },
  });
  // The one real OpenSearch node of the run (verified rollouts), started beside the rest.
  const nodeStarted = spec.verifiedChains > 0 ? startChaosNode(plan.nodeDelayMs, log) : undefined;
  const bundlePath = join(dir, 'workflow-bundle.js');
  const bundled = bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: undefined }).then(
    ({ code }) => writeFileSync(bundlePath, code),
  );
  await server.start();
  cleanups.push(() => server.stop());
  const emulator = await emulatorStarted;
  cleanups.push(() => emulator.stop());
  await bundled;
  const node = await nodeStarted;
  if (node) cleanups.push(() => node.stop());
  const receiver = new Receiver();
  await receiver.start();
  cleanups.push(() => receiver.stop());
  if (node)
    log(`OpenSearch node ${node.node.endpoint}, behind a proxy adding ${node.delayMs} ms: ${node.endpoint}`);
  log(`dev server ${server.address} on ${server.dbFile}; emulator ${emulator.url}; workflow bundle built`);

  const workerEnv: Record<string, string> = {
    TEMPORAL_ADDRESS: server.address,
    ROLLOUTS_TASK_QUEUE: TASK_QUEUE,
    ROLLOUTS_WORKFLOW_BUNDLE: bundlePath,
    ROLLOUTS_PAYLOAD_KEY: secrets.payloadKey,
    ROLLOUTS_PAYLOAD_KEY_ID: 'chaos',
    // INFO: the fleet waits for the worker's 'worker started' line.
    ROLLOUTS_LOG_LEVEL: 'INFO',
    ROLLOUTS_SHUTDOWN_GRACE_SECONDS: '2',
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: secrets.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secrets.secretAccessKey,
    AWS_SESSION_TOKEN: secrets.sessionToken,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Short network timeouts (documented defaults: 5 s / 20 s) keep hung connections to seconds.
    ROLLOUTS_AWS_CONNECT_TIMEOUT_MS: '2000',
    ROLLOUTS_AWS_REQUEST_TIMEOUT_MS: '4000',
    // The shared AWS call budget, under the emulator's rate limit (switched on with the faults).
    ROLLOUTS_AWS_CALLS_PER_SECOND: String(AWS_CALLS_PER_SECOND),
    // The run's node is plain HTTP without security, as local nodes are.
    ROLLOUTS_DATA_PLANE_SIGNING: 'none',
  };
  const fleet = new WorkerFleet(workerEnv, log);
  cleanups.push(() => fleet.stopAll());
  await Promise.all([fleet.start('A'), fleet.start('B')]);
  log('two workers on task queue chaos-rollouts');

  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
  const aws = createEmulatorAwsClients(emulator.url, {
    credentials: {
      accessKeyId: secrets.accessKeyId,
      secretAccessKey: secrets.secretAccessKey,
      sessionToken: secrets.sessionToken,
    },
  });
  cleanups.push(async () => destroyAwsClients(aws));
  // The suite's own clients at the fleet chains' places (as a worker's: STS for the role's account).
  const places = createPlaceClients({
    endpoint: emulator.url,
    credentials: {
      accessKeyId: secrets.accessKeyId,
      secretAccessKey: secrets.secretAccessKey,
      sessionToken: secrets.sessionToken,
    },
    identity: 'chaos-suite',
    env: {},
  });
  cleanups.push(async () => places.destroy());
  const control = emulator.control;

  const http = createServer((req, res) => {
    const content = plan.contents.find((c) => req.url === `/${c.id}.txt`);
    if (!content) return void res.writeHead(404).end();
    // Half now, the rest after a pause: the staging runs for seconds, so kills can land in it.
    const body = Buffer.from(content.text);
    const half = Math.floor(body.length / 2);
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(body.length),
    });
    res.write(body.subarray(0, half));
    setTimeout(() => res.end(body.subarray(half)), content.slowMs).unref();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  const httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { server, emulator, node, receiver, fleet, client, aws, places, control, httpBase };
}

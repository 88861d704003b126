import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeDomainCommand } from '@aws-sdk/client-opensearch';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { destroyAwsClients } from '../../src/aws/clients.js';
import { createPlaceClients } from '../../src/aws/places.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { startTracing } from '../../src/tracing/index.js';
import { awsClientsFor } from '../helpers/aws.js';
import { spawnWorker } from '../helpers/worker-process.js';
import { startCollector, type CollectedSpan, type Collector } from '../helpers/otlp-collector.js';

const recordImports = fileURLToPath(new URL('./fixtures/record-otel-imports.mjs', import.meta.url));

let emulator: RunningEmulator;
let connection: Connection;
let collector: Collector;
let scratch: string;

beforeAll(async () => {
  emulator = await startEmulator();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  collector = await startCollector();
  scratch = mkdtempSync(join(tmpdir(), 'rollouts-tracing-'));
});
afterAll(async () => {
  await connection?.close();
  await emulator?.stop();
  await collector?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A worker process with the given OTEL_* variables, recording the OpenTelemetry modules it imports. */
function worker(name: string, otel: Record<string, string>, from: 'source' | 'build' = 'source') {
  const taskQueue = `tracing-${name}-${randomUUID().slice(0, 8)}`;
  const importLog = join(scratch, `${name}-imports.log`);
  const proc = spawnWorker(
    {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      ROLLOUTS_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL: emulator.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      NODE_OPTIONS: `--import ${recordImports}`,
      OTEL_IMPORT_LOG: importLog,
      ...otel,
    },
    from,
  );
  const imports = () => {
    try {
      return readFileSync(importLog, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return { proc, taskQueue, imports };
}

/** Seeds one domain and a bucket, runs a one-domain dictionary rollout to success; returns its id. */
async function runRollout(name: string, client: Client, taskQueue: string): Promise<string> {
  await emulator.control.seedDomains([{ name: `trace-${name}` }]);
  const { handle, workflowId } = await startDictionaryRollout(
    client,
    {
      packageName: `synonyms-trace-${name}`,
      source: { kind: 'inline', text: `trace, span, ${name}\n` },
      staging: { bucket: `trace-staging-${name}` },
      domains: [`trace-${name}`],
      policy: { pollIntervalSeconds: 0.2 },
    },
    { taskQueue },
  );
  expect((await dictionaryRolloutResult(handle)).outcome).toBe('succeeded');
  return workflowId;
}

async function createBuckets(...names: string[]) {
  const aws = awsClientsFor(emulator);
  for (const name of names) await aws.s3.send(new CreateBucketCommand({ Bucket: `trace-staging-${name}` }));
  destroyAwsClients(aws);
}

describe('tracing (OTEL_*)', () => {
  it('exports one rollout as one trace: client start, workflow, each activity, and the AWS calls under them', async () => {
    await createBuckets('on');
    const { proc, taskQueue, imports } = worker('on', {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, // protocol: the default, http/protobuf
      OTEL_SERVICE_NAME: 'rollouts-worker-under-test',
    });
    // The client side in this process, over the other protocol (http/json).
    const tracing = await startTracing({
      url: `${collector.url}/v1/traces`,
      protocol: 'http/json',
      serviceName: 'rollouts-client-under-test',
    });
    let workflowId: string;
    try {
      const started = JSON.parse(await proc.waitForLine(/"msg":"worker started"/)) as { tracing: string };
      expect(started.tracing).toBe(`OTLP http/protobuf to ${collector.url}/v1/traces`);
      const client = new Client({ connection, interceptors: tracing.clientInterceptors });
      workflowId = await runRollout('on', client, taskQueue);
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0); // shutdown flushes the worker's spans
    await tracing.shutdown();

    // Both protocols arrived; the worker loaded the OpenTelemetry modules (the recorder works).
    expect(collector.requests).toContain('application/x-protobuf');
    expect(collector.requests).toContain('application/json');
    expect(imports().some((url) => url.includes('@temporalio/interceptors-opentelemetry'))).toBe(true);

    const start = one(
      collector.spans,
      (s) => s.name === 'StartWorkflow:dictionaryRollout' && s.attributes.temporalWorkflowId === workflowId,
    );
    expect(start.service).toBe('rollouts-client-under-test');
    const trace = collector.spans.filter((s) => s.traceId === start.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const parentOf = (s: CollectedSpan) => byId.get(s.parentSpanId);

    // Every span of the trace hangs off another span of it; the client's start is the root.
    for (const s of trace) if (s !== start) expect(parentOf(s), `parent of ${s.name}`).toBeDefined();
    expect(start.parentSpanId).toBe('');

    const run = one(trace, (s) => s.name === 'RunWorkflow:dictionaryRollout');
    expect(run.service).toBe('rollouts-worker-under-test');
    expect(parentOf(run)).toBe(start);

    // Each activity the workflow scheduled (from its history) ran in a span of this trace, under the
    // workflow's StartActivity span.
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    const scheduled = new Set(
      (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    );
    expect(scheduled.size).toBeGreaterThanOrEqual(3);
    const activitySpans = trace.filter((s) => s.name.startsWith('RunActivity:'));
    expect(new Set(activitySpans.map((s) => s.name.slice('RunActivity:'.length)))).toEqual(scheduled);
    for (const a of activitySpans) {
      const startActivity = parentOf(a)!;
      expect(startActivity.name).toBe(a.name.replace('RunActivity:', 'StartActivity:'));
      expect(parentOf(startActivity)).toBe(run);
    }

    // The AWS calls: each a span under the activity that made it, naming service, operation,
    // request id and status.
    const awsSpans = trace.filter((s) => s.attributes['rpc.system'] === 'aws-api');
    for (const s of awsSpans) {
      expect(parentOf(s)!.name, s.name).toMatch(/^RunActivity:/);
      expect(s.name).toBe(`${String(s.attributes['rpc.service'])}.${String(s.attributes['rpc.method'])}`);
      expect(s.attributes['aws.request_id'], s.name).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.attributes['http.response.status_code'], s.name).toEqual(expect.any(Number));
    }
    const put = one(awsSpans, (s) => s.name === 'S3.PutObject');
    expect(parentOf(put)!.name).toBe('RunActivity:stageDictionary');
    expect(put.attributes['http.response.status_code']).toBe(200);
    const services = new Set(awsSpans.map((s) => s.attributes['rpc.service']));
    expect(services).toEqual(new Set(['S3', 'OpenSearch']));
    // Every activity of the rollout made at least one AWS call, and each is in the trace.
    for (const a of activitySpans)
      expect(
        awsSpans.some((s) => parentOf(s) === a),
        a.name,
      ).toBe(true);
  }, 120_000);

  it('off: with OTEL_TRACES_EXPORTER=none nothing is sent and the worker loads no OpenTelemetry module', async () => {
    await createBuckets('off');
    const before = collector.requests.length;
    const { proc, taskQueue, imports } = worker('off', {
      // An endpoint is set, so only the exporter switch keeps tracing off.
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_TRACES_EXPORTER: 'none',
    });
    try {
      const started = JSON.parse(await proc.waitForLine(/"msg":"worker started"/)) as { tracing: string };
      expect(started.tracing).toBe('off');
      await runRollout('off', new Client({ connection }), taskQueue);
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
    expect(collector.requests.length).toBe(before);
    expect(imports()).toEqual([]);
  }, 120_000);

  it("a role's AssumeRole calls are spans too, one per call however often the provider re-applies its plugins", async () => {
    const role = 'arn:aws:iam::210987654321:role/traced';
    const stsEmulator = await startEmulator({ roles: [{ arn: role }] });
    const tracing = await startTracing({
      url: `${collector.url}/v1/traces`,
      protocol: 'http/json',
      serviceName: 'rollouts-places-under-test',
    });
    const places = createPlaceClients({
      endpoint: stsEmulator.url,
      credentials: { accessKeyId: 'AKIDTRACED', secretAccessKey: 'traced-secret' },
      maxAttempts: 1,
      durationSeconds: 900,
    });
    try {
      await stsEmulator.control.at({ region: 'eu-west-1', roleArn: role }).seedDomains([{ name: 'traced' }]);
      const clients = await places.clientsFor({ region: 'eu-west-1', roleArn: role });
      // 11 of a session's 15 minutes later, twice (the SDK's clock and the emulator's STS's alike):
      // each call renews the session through the same provider, which re-applies its plugins.
      vi.useFakeTimers({ toFake: ['Date'] });
      for (let i = 0; i < 2; i++) {
        vi.setSystemTime(Date.now() + 11 * 60_000);
        await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'traced' }));
      }
    } finally {
      vi.useRealTimers();
      places.destroy();
      await tracing.shutdown();
    }
    const assumed = (await stsEmulator.control.calls({ service: 'sts', operation: 'AssumeRole' })).length;
    await stsEmulator.stop();
    expect(assumed).toBe(3);
    const spans = collector.spans.filter(
      (s) => s.service === 'rollouts-places-under-test' && s.name === 'STS.AssumeRole',
    );
    expect(spans).toHaveLength(assumed);
    for (const s of spans) {
      expect(s.attributes['http.response.status_code']).toBe(200);
      expect(s.attributes['aws.request_id']).toEqual(expect.any(String));
    }
  });

  it('stops at start on a bad OTEL_* value, naming the variable', async () => {
    const { proc } = worker('bad', { OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toMatch(
      /configuration error: OTEL_TRACES_EXPORTER must be otlp or none .*got 'zipkin'/,
    );
  });

  it('the production build runs its traced bundle with tracing on (the plain one: worker-process.test.ts)', async () => {
    execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
    await createBuckets('build');
    const { proc, taskQueue } = worker(
      'build',
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
        OTEL_SERVICE_NAME: 'rollouts-build-under-test',
      },
      'build',
    );
    try {
      const started = JSON.parse(await proc.waitForLine(/"msg":"worker started"/)) as { workflows: string };
      expect(started.workflows).toMatch(/dist\/workflow-bundle-traced\.js$/);
      await runRollout('build', new Client({ connection }), taskQueue);
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
    expect(proc.output()).not.toMatch(/Ignoring WorkerOptions\.interceptors\.workflowModules/);
    // No client span this time: the workflow's span is the root, and the activities hang off it.
    const run = one(
      collector.spans,
      (s) => s.name === 'RunWorkflow:dictionaryRollout' && s.service === 'rollouts-build-under-test',
    );
    const trace = collector.spans.filter((s) => s.traceId === run.traceId);
    expect(trace.some((s) => s.name === 'RunActivity:stageDictionary')).toBe(true);
    expect(trace.some((s) => s.name === 'S3.PutObject')).toBe(true);
  }, 240_000);
});

function one(spans: CollectedSpan[], match: (s: CollectedSpan) => boolean): CollectedSpan {
  const found = spans.filter(match);
  expect(found.length).toBe(1);
  return found[0]!;
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createDataPlaneClients,
  createOpenSearchDataPlaneActivities,
  DataPlaneFailureTypes,
} from '../../src/activities/opensearch-data-plane.js';
import { createPlaceClients } from '../../src/aws/places.js';
import { startEmulator } from '../../src/emulator/server.js';
import { FailureTypes } from '../../src/model/failures.js';
import { runActivity } from '../helpers/activity-env.js';

// Data-plane activities against a real OpenSearch node (the global setup's). The refresh route is
// the launcher's stand-in for the index-management plugin; everything else is the real engine.
const endpoint = inject('opensearchEndpoint');
const configDir = inject('opensearchConfigDir');
const run = `dp${process.pid}`;
const referencePath = `analyzers/${run}-F1`; // a package's ReferencePath, as on AWS
const env = new MockActivityEnvironment();
const activities = createOpenSearchDataPlaneActivities(
  createDataPlaneClients({ signing: 'none', requestTimeoutMs: 10_000 }),
);
const target = { endpoint };

function writeDictionary(text: string) {
  mkdirSync(join(configDir, 'analyzers'), { recursive: true });
  writeFileSync(join(configDir, referencePath), text);
}

async function opensearch(method: string, path: string, body?: unknown) {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const searchIndex = `${run}-search`;
const indexTimeIndex = `${run}-indextime`;
const otherIndex = `${run}-other`;

beforeAll(async () => {
  writeDictionary('laptop, notebook\n');
  // Search-time use: an updateable synonym filter in the search analyzer only.
  expect(
    (
      await opensearch('PUT', `/${searchIndex}`, {
        settings: {
          number_of_shards: 1,
          number_of_replicas: 0,
          analysis: {
            filter: { dict: { type: 'synonym_graph', synonyms_path: referencePath, updateable: true } },
            analyzer: { dict_search: { tokenizer: 'standard', filter: ['lowercase', 'dict'] } },
          },
        },
        mappings: {
          properties: { title: { type: 'text', analyzer: 'standard', search_analyzer: 'dict_search' } },
        },
      })
    ).status,
  ).toBe(200);
  // Index-time use: the same file in an analyzer that indexes (not updateable).
  expect(
    (
      await opensearch('PUT', `/${indexTimeIndex}`, {
        settings: {
          number_of_shards: 1,
          number_of_replicas: 0,
          analysis: {
            filter: { dict: { type: 'synonym', synonyms_path: referencePath } },
            analyzer: { dict_index: { tokenizer: 'standard', filter: ['lowercase', 'dict'] } },
          },
        },
        mappings: { properties: { title: { type: 'text', analyzer: 'dict_index' } } },
      })
    ).status,
  ).toBe(200);
  // An index reading another file: never reported.
  writeFileSync(join(configDir, 'analyzers', `${run}-OTHER`), 'a, b\n');
  expect(
    (
      await opensearch('PUT', `/${otherIndex}`, {
        settings: {
          number_of_replicas: 0,
          analysis: {
            filter: { dict: { type: 'synonym', synonyms_path: `analyzers/${run}-OTHER`, updateable: true } },
            analyzer: { dict_search: { tokenizer: 'standard', filter: ['dict'] } },
          },
        },
      })
    ).status,
  ).toBe(200);
});

const tokens = async (index: string, analyzer: string, text: string) =>
  (await runActivity(env, activities.analyzeProbe, { ...target, index, analyzer, text })).tokens;

describe('OpenSearch data-plane activities on a real node', () => {
  it('finds the indexes reading a ReferencePath, split into search-time and index-time uses', async () => {
    const found = await runActivity(env, activities.findIndexesUsingFile, {
      ...target,
      referencePath,
      indexPattern: `${run}-*`,
    });
    expect(found.searchTime).toEqual([searchIndex]);
    expect(found.indexTime).toEqual([indexTimeIndex]);
    expect(found.uses).toEqual(
      expect.arrayContaining([
        { index: searchIndex, component: 'dict', analyzers: ['dict_search'], updateable: true },
        { index: indexTimeIndex, component: 'dict', analyzers: ['dict_index'], updateable: false },
      ]),
    );
  });

  it('v1 then v2: _analyze changes only after the refresh; the index-time use is not refreshed', async () => {
    expect(await tokens(searchIndex, 'dict_search', 'laptop')).toEqual(['notebook', 'laptop']);
    writeDictionary('laptop, portable\n'); // v2 reaches the node's config dir, as an association does
    expect(await tokens(searchIndex, 'dict_search', 'laptop')).toEqual(['notebook', 'laptop']);

    const refreshed = await runActivity(env, activities.refreshSearchAnalyzers, {
      ...target,
      indexes: [searchIndex],
    });
    expect(refreshed).toEqual({
      shards: { total: 1, successful: 1, failed: 0 },
      refreshed: [{ index: searchIndex, analyzers: ['dict_search'] }],
    });
    expect(await tokens(searchIndex, 'dict_search', 'laptop')).toEqual(['portable', 'laptop']);
    // The index-time analyzer still reads v1: only close/open (or a reindex) changes it.
    expect(await tokens(indexTimeIndex, 'dict_index', 'laptop')).toEqual(['laptop', 'notebook']);
  });

  it('close/open reopens an index-time use reading the new file; a bad file keeps it closed', async () => {
    writeDictionary('laptop, portable\n');
    await runActivity(env, activities.closeIndex, { ...target, index: indexTimeIndex });
    await runActivity(env, activities.openIndex, { ...target, index: indexTimeIndex });
    expect(await tokens(indexTimeIndex, 'dict_index', 'laptop')).toEqual(['laptop', 'portable']);

    writeDictionary('laptop => \n');
    await runActivity(env, activities.closeIndex, { ...target, index: indexTimeIndex });
    const failure = await failureOf(
      runActivity(env, activities.openIndex, { ...target, index: indexTimeIndex }),
    );
    expect(failure.type).toBe(DataPlaneFailureTypes.ReopenFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/stays closed/);
    // Fixed file: the index opens again.
    writeDictionary('laptop, portable\n');
    await runActivity(env, activities.openIndex, { ...target, index: indexTimeIndex });
    expect(await tokens(indexTimeIndex, 'dict_index', 'laptop')).toEqual(['laptop', 'portable']);
  });

  it('a refresh whose new file does not parse fails with the shard failure; the old analyzer stays', async () => {
    writeDictionary('laptop, portable\n');
    await runActivity(env, activities.refreshSearchAnalyzers, { ...target, indexes: [searchIndex] });
    writeDictionary('a => b => c\n');
    const failure = await failureOf(
      runActivity(env, activities.refreshSearchAnalyzers, { ...target, indexes: [searchIndex] }),
    );
    expect(failure.type).toBe(DataPlaneFailureTypes.RefreshFailed);
    expect(failure.message).toMatch(/1 of 1 shards failed; not refreshed: .*-search/);
    expect(await tokens(searchIndex, 'dict_search', 'laptop')).toEqual(['portable', 'laptop']);
    writeDictionary('laptop, portable\n');
  });

  it('reports cluster health and maps a missing index to a non-retryable failure', async () => {
    const health = await runActivity(env, activities.clusterHealth, target);
    expect(['green', 'yellow']).toContain(health.status);
    const failure = await failureOf(
      runActivity(env, activities.analyzeProbe, { ...target, index: `${run}-missing`, text: 'x' }),
    );
    expect(failure.type).toBe(DataPlaneFailureTypes.IndexNotFound);
    expect(failure.nonRetryable).toBe(true);
  });

  it('cluster health is red only when red outlasts the wait, not while a primary is being placed', async () => {
    // A primary no node may hold stays unassigned: the cluster is red until the filter goes.
    const unplaced = `${run}-unplaced`;
    const created = await opensearch('PUT', `/${unplaced}?wait_for_active_shards=0`, {
      settings: {
        number_of_shards: 1,
        number_of_replicas: 0,
        'index.routing.allocation.require._name': 'no-such-node',
      },
    });
    expect(created.status).toBe(200);
    try {
      // A 6 s request timeout gives a 4 s wait; the domain's 408 answer is read as red, not an
      // error. (The 2 s left are the node's time to answer after its wait, on a loaded machine.)
      const quick = createOpenSearchDataPlaneActivities(
        createDataPlaneClients({ signing: 'none', requestTimeoutMs: 6_000 }),
      );
      const red = await runActivity(env, quick.clusterHealth, target);
      expect(red).toMatchObject({ status: 'red', waitedMs: 4_000 });
      expect(red.unassignedShards).toBeGreaterThan(0);

      // Red for a moment (as while another rollout reopens an index): the call waits it out.
      const waiting = runActivity(env, activities.clusterHealth, target);
      await new Promise((r) => setTimeout(r, 1_000));
      const placed = await opensearch('PUT', `/${unplaced}/_settings`, {
        'index.routing.allocation.require._name': null,
      });
      expect(placed.status).toBe(200);
      const health = await waiting;
      expect(['green', 'yellow']).toContain(health.status);
      expect(health.waitedMs).toBeUndefined();
    } finally {
      await opensearch('DELETE', `/${unplaced}`);
    }
  });
});

describe('data-plane failures that say what to fix', () => {
  let forbidding: Server;
  let silent: Server;
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

  beforeAll(async () => {
    // A domain access policy that does not name the worker's role answers 403 like this.
    forbidding = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Message: 'User: anonymous is not authorized to perform: es:ESHttpGet' }));
    });
    silent = createServer(() => undefined); // accepts, never answers
    await Promise.all([forbidding, silent].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await Promise.all([forbidding, silent].map((s) => new Promise((r) => s.close(r))));
  });

  it('403: non-retryable, naming the domain access policy', async () => {
    const failure = await failureOf(
      runActivity(env, activities.clusterHealth, { endpoint: url(forbidding) }),
    );
    expect(failure.type).toBe(DataPlaneFailureTypes.AccessDenied);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /HTTP 403.*worker's IAM role is probably missing from the domain access policy/,
    );
  });

  it('signs with SigV4 for service es, credentials from the default chain', async () => {
    let authorization = '';
    const recorder = createServer((req, res) => {
      authorization = String(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'green', unassigned_shards: 0 }));
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLEWORKER';
    process.env.AWS_SECRET_ACCESS_KEY = 'not-a-real-secret';
    try {
      const signed = createOpenSearchDataPlaneActivities(
        createDataPlaneClients({ signing: 'sigv4', region: 'eu-west-1' }),
      );
      expect(await runActivity(env, signed.clusterHealth, { endpoint: url(recorder) })).toEqual({
        status: 'green',
        unassignedShards: 0,
      });
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEWORKER\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=/,
      );
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      await new Promise((r) => recorder.close(r));
    }
  });

  it("a domain in another account is signed with its place's assumed role, not the worker's keys", async () => {
    const role = 'arn:aws:iam::210987654321:role/rollouts';
    const emulator = await startEmulator({ roles: [{ arn: role }] });
    const places = createPlaceClients({
      endpoint: emulator.url,
      credentials: { accessKeyId: 'AKIDWORKERKEY', secretAccessKey: 'worker-secret' },
      maxAttempts: 1,
    });
    const headers: Record<string, string> = {};
    let requests = 0;
    const recorder = createServer((req, res) => {
      requests++;
      headers.authorization = String(req.headers.authorization ?? '');
      headers.token = String(req.headers['x-amz-security-token'] ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'green', unassigned_shards: 0 }));
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    try {
      const signed = createOpenSearchDataPlaneActivities(
        createDataPlaneClients({ signing: 'sigv4', region: 'us-east-1' }),
        (place) => places.clientsFor(place),
      );
      const place = { region: 'ap-southeast-2', roleArn: role };
      expect((await runActivity(env, signed.clusterHealth, { endpoint: url(recorder), place })).status).toBe(
        'green',
      );
      const session = await (await places.clientsFor(place)).opensearch.config.credentials();
      expect(session.accessKeyId).not.toBe('AKIDWORKERKEY');
      expect(headers.authorization).toContain(`Credential=${session.accessKeyId}/`);
      expect(headers.authorization).toMatch(/\/ap-southeast-2\/es\/aws4_request, SignedHeaders=/);
      expect(headers.token).toBe(session.sessionToken);

      // A role STS refuses: PlaceUnreachable naming the role, and no request reaches the domain.
      const unknown = 'arn:aws:iam::345678901234:role/not-there';
      const failure = await failureOf(
        runActivity(env, signed.clusterHealth, {
          endpoint: url(recorder),
          place: { region: 'eu-west-1', roleArn: unknown },
        }),
      );
      expect(failure.type).toBe(FailureTypes.PlaceUnreachable);
      expect(failure.message).toContain(unknown);
      expect(requests).toBe(1);

      // A worker without clients for other places says so instead of signing with its own keys.
      const ownOnly = createOpenSearchDataPlaneActivities(createDataPlaneClients({ signing: 'sigv4' }));
      const refused = await failureOf(
        runActivity(env, ownOnly.clusterHealth, { endpoint: url(recorder), place }),
      );
      expect(refused.type).toBe(FailureTypes.PlaceUnreachable);
      expect(refused.nonRetryable).toBe(true);
      expect(requests).toBe(1);
    } finally {
      places.destroy();
      await new Promise((r) => recorder.close(r));
      await emulator.stop();
    }
  });

  it('no answer: retryable, naming the timeout; connection refused: retryable', async () => {
    const quick = createOpenSearchDataPlaneActivities(
      createDataPlaneClients({ signing: 'none', requestTimeoutMs: 300 }),
    );
    const timeout = await failureOf(runActivity(env, quick.clusterHealth, { endpoint: url(silent) }));
    expect(timeout.type).toBe(DataPlaneFailureTypes.Unreachable);
    expect(timeout.nonRetryable).toBe(false);
    expect(timeout.message).toMatch(/no answer before the request timeout/);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const refusedAt = url(closed);
    await new Promise((r) => closed.close(r));
    const refused = await failureOf(runActivity(env, quick.clusterHealth, { endpoint: refusedAt }));
    expect(refused.type).toBe(DataPlaneFailureTypes.Unreachable);
    expect(refused.nonRetryable).toBe(false);
    expect(refused.message).toMatch(/cannot connect/);
  });
});

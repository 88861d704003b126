import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataPlaneClients } from '../../src/activities/opensearch-data-plane.js';
import {
  approveWave,
  dictionaryRolloutProgress,
  dictionaryRolloutResult,
  startDictionaryRollout,
} from '../../src/client/dictionary-rollout.js';
import type { DictionaryRolloutInput, DictionaryRolloutResult } from '../../src/model/dictionary-rollout.js';
import { FailureTypes } from '../../src/model/failures.js';
import { startOpenSearchNode, type OpenSearchNode } from '../../src/opensearch-node/index.js';
import { freshDictionaryEmulator, rolloutInput } from '../helpers/dictionary.js';
import { recordHistory } from '../helpers/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { dictionaryIndexBody } from '../../harness/dictionary-index.js';

/**
 * Verified rollouts end to end: the dev server, the emulator, and two real OpenSearch nodes (one
 * per domain, so a canary and the next wave can sit on different versions). Each test uses its own
 * package, domains and indexes, so the nodes are started once for the file.
 */
let stack: TestStack;
const nodes: OpenSearchNode[] = [];
let forbidden: Server;
let silent: Server;
const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  const started = await Promise.all([
    startTestStack('verified-rollout', {
      // Local nodes speak plain HTTP without auth; a short request timeout for the silent domain.
      deps: { dataPlane: createDataPlaneClients({ signing: 'none', requestTimeoutMs: 1500 }) },
    }),
    startOpenSearchNode(),
    startOpenSearchNode(),
  ]);
  stack = started[0];
  nodes.push(started[1], started[2]);
  await freshDictionaryEmulator(stack);
  // A domain access policy that does not admit the worker, as AWS answers it.
  forbidden = createServer((req, res) => {
    req.resume();
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end('{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}');
  });
  // A domain that accepts connections and never answers.
  silent = createServer((req) => req.resume());
  await Promise.all([forbidden, silent].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});

afterAll(async () => {
  for (const s of [forbidden, silent]) {
    s?.closeAllConnections();
    s?.close();
  }
  await Promise.all(nodes.map((n) => n.stop()));
  await stack?.stop();
});

async function opensearch(node: OpenSearchNode, method: string, path: string, body?: unknown) {
  const res = await fetch(`${node.endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function tokens(node: OpenSearchNode, index: string, analyzer: string, text: string) {
  const r = await opensearch(node, 'POST', `/${index}/_analyze`, { analyzer, text });
  expect(r.status).toBe(200);
  return (r.body.tokens as Array<{ token: string }>).map((t) => t.token);
}

/** An index whose analyzer reads the package's file: search-time (updateable) or index-time. */
async function createIndex(
  node: OpenSearchNode,
  index: string,
  referencePath: string,
  use: 'search' | 'index',
) {
  const r = await opensearch(node, 'PUT', `/${index}`, dictionaryIndexBody(referencePath, use));
  expect(r.status).toBe(200);
}

async function run(input: Parameters<typeof startDictionaryRollout>[1]) {
  const { handle, workflowId } = await startDictionaryRollout(stack.client, input, {
    taskQueue: stack.taskQueue,
  });
  return { handle, workflowId, result: await dictionaryRolloutResult(handle) };
}

/** The result a failed run carries in its failure's details, and the failure itself. */
async function failedRun(input: Parameters<typeof startDictionaryRollout>[1]) {
  const { handle, workflowId } = await startDictionaryRollout(stack.client, input, {
    taskQueue: stack.taskQueue,
  });
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
  return { workflowId, failure, result: failure.details?.[0] as DictionaryRolloutResult | undefined };
}

const V1 = 'car => automobile\n';
const V2 = 'car => vehicle\n';

/**
 * Two domains, each backed by its own node, at v1 of a new package, with an index on each node
 * whose analyzer reads the package's file: the state a v2 rollout starts from.
 */
async function atV1(prefix: string, use: 'search' | 'index' = 'search') {
  const domains = [`${prefix}-1`, `${prefix}-2`];
  await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
  await Promise.all(
    domains.map((d, i) =>
      stack.emulator.control.backDomain(d, { endpoint: nodes[i]!.endpoint, configDir: nodes[i]!.configDir }),
    ),
  );
  const first = await run(rolloutInput(`${prefix}-synonyms`, domains, V1));
  expect(first.result.outcome).toBe('succeeded');
  const index = `${prefix}-products`;
  await Promise.all(nodes.map((n) => createIndex(n, index, first.result.referencePath, use)));
  for (const n of nodes) expect(await tokens(n, index, 'dict', 'car')).toEqual(['automobile']);
  return { domains, index, packageName: `${prefix}-synonyms` };
}

const probe = (index: string, expectedTokens: string[], extra: object = {}) => ({
  index,
  analyzer: 'dict',
  text: 'car',
  expectedTokens,
  ...extra,
});

describe('verified dictionary rollout', () => {
  it('v1 then v2: each domain analyzes with v2 once its own wave is done, and the probes prove it', async () => {
    const { domains, index, packageName } = await atV1('verify');
    const verification: DictionaryRolloutInput['verification'] = { probes: [probe(index, ['vehicle'])] };
    const { handle, workflowId } = await startDictionaryRollout(
      stack.client,
      rolloutInput(packageName, domains, V2, {
        verification,
        preflight: { format: 'solr' },
        policy: { approvalBetweenWaves: true },
      }),
      { taskQueue: stack.taskQueue },
    );
    // The canary is ACTIVE, refreshed and verified; the second wave waits for approval.
    for (;;) {
      const p = await dictionaryRolloutProgress(handle);
      if (p.awaitingApproval && p.domains[0]!.verification) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await tokens(nodes[0]!, index, 'dict', 'car')).toEqual(['vehicle']);
    expect(await tokens(nodes[1]!, index, 'dict', 'car')).toEqual(['automobile']);
    await approveWave(handle, 2);
    const result = await dictionaryRolloutResult(handle);
    expect(result.outcome).toBe('succeeded');
    for (const n of nodes) expect(await tokens(n, index, 'dict', 'car')).toEqual(['vehicle']);
    for (const d of result.domains)
      expect(d.verification).toMatchObject({
        status: 'passed',
        content: 'new',
        indexesRefreshed: [index],
        indexesNeedingReindex: [],
        probesPassed: 1,
        probesFailed: 0,
        clusterHealth: expect.stringMatching(/green|yellow/),
      });
    expect(result.verification).toEqual({
      verified: 2,
      verificationFailed: 0,
      indexesRefreshed: 2,
      indexesNeedingReindex: 0,
      probesPassed: 2,
      probesFailed: 0,
    });
    // Each data-plane request is one activity ending within 45 s (the client's 30 s request
    // timeout and a margin), so a dead worker's request is retried that soon (patch data-plane-timeout).
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const dataPlaneTimeouts = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter(
        (a) =>
          a &&
          ['analyzeProbe', 'refreshSearchAnalyzers', 'clusterHealth'].includes(a.activityType?.name ?? ''),
      )
      .map((a) => Number(a!.startToCloseTimeout?.seconds ?? 0));
    expect(dataPlaneTimeouts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(dataPlaneTimeouts)).toEqual(new Set([45]));
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-verified');
  });

  it('refuses each kind of bad file before any AWS mutation, naming the line and rule', async () => {
    const cases = [
      {
        text: 'car, automobile\na => b => c\n',
        format: 'solr' as const,
        line: 2,
        rule: 'several-explicit-mappings',
      },
      { text: 'car, automobile\nempty => \n', format: 'solr' as const, line: 2, rule: 'term-eliminated' },
      { text: 'a, b\n, ,\n', format: 'solr' as const, line: 2, rule: 'term-eliminated' },
      {
        text: "s(100000001,1,'car',n,1,0).\n\n",
        format: 'wordnet' as const,
        line: 2,
        rule: 'wordnet-line-too-short',
      },
    ];
    await stack.emulator.control.seedDomains([{ name: 'preflight-1' }]);
    for (const c of cases) {
      await stack.emulator.control.clearCalls();
      const { failure, result } = await failedRun(
        rolloutInput('preflight-synonyms', ['preflight-1'], c.text, { preflight: { format: c.format } }),
      );
      expect(failure.type).toBe(FailureTypes.InvalidDictionary);
      expect(failure.message).toContain(`line ${c.line}`);
      expect(failure.message).toContain(c.rule);
      // The details name the line and rule too (nothing of a result: nothing was published).
      expect((failure.details?.[0] as { errors: unknown[] }).errors[0]).toMatchObject({
        line: c.line,
        rule: c.rule,
      });
      expect(result).not.toHaveProperty('outcome');
      const calls = await stack.emulator.control.calls();
      expect(calls.filter((call) => call.mutating)).toEqual([]);
    }
  });

  it('a failing probe on the canary halts the rollout, saying expected and actual tokens', async () => {
    const { domains, index, packageName } = await atV1('halt');
    const { failure, result } = await failedRun(
      rolloutInput(packageName, domains, V2, { verification: { probes: [probe(index, ['auto'])] } }),
    );
    expect(failure.type).toBe(FailureTypes.RolloutFailed);
    const [canary, second] = result!.domains;
    expect(canary).toMatchObject({ state: 'failed', error: { type: FailureTypes.VerificationFailed } });
    expect(canary!.error!.message).toContain('expected [auto], got [vehicle]');
    expect(canary!.verification?.failedProbes).toEqual([
      { index, text: 'car', passed: false, expectedTokens: ['auto'], actualTokens: ['vehicle'] },
    ]);
    expect(second).toMatchObject({ state: 'not-started', version: 'v1' });
    expect(await tokens(nodes[1]!, index, 'dict', 'car')).toEqual(['automobile']);
  });

  it('under rollback the previous content comes back and its probes pass again', async () => {
    const { domains, index, packageName } = await atV1('rollback');
    const { workflowId, result } = await failedRun(
      rolloutInput(packageName, domains, V2, {
        verification: { probes: [probe(index, ['auto'], { previousTokens: ['automobile'] })] },
        policy: { failurePolicy: 'rollback' },
      }),
    );
    expect(result!.outcome).toBe('rolled-back');
    const canary = result!.domains[0]!;
    expect(canary).toMatchObject({ state: 'rolled-back', version: 'v3' });
    expect(canary.verification).toMatchObject({ status: 'passed', content: 'previous', probesPassed: 1 });
    expect(await tokens(nodes[0]!, index, 'dict', 'car')).toEqual(['automobile']);
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-verified-rollback');
  });

  it('an index-time use needs a reindex and is not refreshed; with close/open it reads the new file', async () => {
    const { domains, index, packageName } = await atV1('indextime', 'index');
    const reported = await run(
      rolloutInput(packageName, domains, V2, { verification: { indexTimeUses: 'report' } }),
    );
    expect(reported.result.outcome).toBe('succeeded');
    for (const d of reported.result.domains)
      expect(d.verification).toMatchObject({
        indexesNeedingReindex: [index],
        indexesRefreshed: [],
        indexesReopened: [],
      });
    expect(reported.result.verification).toMatchObject({ indexesNeedingReindex: 2, indexesRefreshed: 0 });
    for (const n of nodes) expect(await tokens(n, index, 'dict', 'car')).toEqual(['automobile']);

    const V3 = 'car => wagon\n';
    const reopened = await run(
      rolloutInput(packageName, domains, V3, {
        verification: { indexTimeUses: 'close-open', probes: [probe(index, ['wagon'])] },
      }),
    );
    expect(reopened.result.outcome).toBe('succeeded');
    for (const d of reopened.result.domains)
      expect(d.verification).toMatchObject({
        indexesReopened: [index],
        indexesNeedingReindex: [],
        probesPassed: 1,
      });
    for (const n of nodes) expect(await tokens(n, index, 'dict', 'car')).toEqual(['wagon']);
  });

  it('a domain whose data plane answers 403 or times out fails naming the cause; the others proceed', async () => {
    const domains = ['plane-ok', 'plane-forbidden', 'plane-silent'];
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.backDomain('plane-ok', {
      endpoint: nodes[0]!.endpoint,
      configDir: nodes[0]!.configDir,
    });
    const { result } = await failedRun(
      rolloutInput('plane-synonyms', domains, V1, {
        verification: {
          endpoints: { 'plane-forbidden': url(forbidden), 'plane-silent': url(silent) },
          maxAttempts: 2,
        },
        policy: { failurePolicy: 'continue', waves: { strategy: 'sizes', canary: 0, sizes: [3] } },
      }),
    );
    expect(result!.outcome).toBe('partial');
    const by = Object.fromEntries(result!.domains.map((d) => [d.domain, d]));
    expect(by['plane-ok']).toMatchObject({ state: 'current', verification: { status: 'passed' } });
    expect(by['plane-forbidden']).toMatchObject({
      state: 'failed',
      error: { type: FailureTypes.DataPlaneAccessDenied },
    });
    expect(by['plane-forbidden']!.error!.message).toMatch(/HTTP 403.*domain access policy/);
    expect(by['plane-silent']).toMatchObject({
      state: 'failed',
      error: { type: FailureTypes.DataPlaneUnreachable },
    });
    expect(by['plane-silent']!.error!.message).toContain('no answer before the request timeout');
  });
});

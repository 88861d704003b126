/**
 * A verified fleet rollout: the same domain name in two places (the worker's own Region and
 * eu-west-1), each backed by its own real OpenSearch node, each at its own place's package. The
 * probes must see the new content on both, read through each place's package and endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataPlaneClients } from '../../src/activities/opensearch-data-plane.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import type { DictionaryRolloutInput } from '../../src/model/dictionary-rollout.js';
import { startOpenSearchNode, type OpenSearchNode } from '../../src/opensearch-node/index.js';
import { freshDictionaryEmulator, rolloutInput, STAGING_BUCKET } from '../helpers/dictionary.js';
import { createBucketAt } from '../helpers/fleet.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
const nodes: OpenSearchNode[] = [];
const EU = { region: 'eu-west-1' };

beforeAll(async () => {
  const started = await Promise.all([
    startTestStack('fleet-verified', {
      deps: { dataPlane: createDataPlaneClients({ signing: 'none', requestTimeoutMs: 1500 }) },
    }),
    startOpenSearchNode(),
    startOpenSearchNode(),
  ]);
  stack = started[0];
  nodes.push(started[1], started[2]);
  await freshDictionaryEmulator(stack);
  await createBucketAt(await stack.places.clientsFor(EU), 'fleet-verified-eu');
});
afterAll(async () => {
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

/** An index whose search analyzer reads this place's package file. */
async function searchIndex(node: OpenSearchNode, index: string, referencePath: string) {
  const r = await opensearch(node, 'PUT', `/${index}`, {
    settings: {
      number_of_shards: 1,
      number_of_replicas: 0,
      analysis: {
        filter: { dict: { type: 'synonym_graph', synonyms_path: referencePath, updateable: true } },
        analyzer: { dict: { tokenizer: 'standard', filter: ['lowercase', 'dict'] } },
      },
    },
    mappings: { properties: { title: { type: 'text', analyzer: 'standard', search_analyzer: 'dict' } } },
  });
  expect(r.status).toBe(200);
}

async function tokens(node: OpenSearchNode, index: string) {
  const r = await opensearch(node, 'POST', `/${index}/_analyze`, { analyzer: 'dict', text: 'car' });
  return (r.body.tokens as Array<{ token: string }>).map((t) => t.token);
}

const input = (text: string, extra: Partial<DictionaryRolloutInput> = {}): DictionaryRolloutInput => ({
  ...rolloutInput('fleet-verified', [], text, extra),
  domains: ['fv-1', { domain: 'fv-1', ...EU }],
  staging: { bucket: STAGING_BUCKET, buckets: { 'eu-west-1': 'fleet-verified-eu' } },
});

async function run(i: DictionaryRolloutInput) {
  const { handle } = await startDictionaryRollout(stack.client, i, { taskQueue: stack.taskQueue });
  return dictionaryRolloutResult(handle);
}

describe('verified fleet rollout', () => {
  it('each place’s domain is probed through its own endpoint and package', async () => {
    await stack.emulator.control.seedDomains([{ name: 'fv-1' }]);
    await stack.emulator.control.backDomain('fv-1', {
      endpoint: nodes[0]!.endpoint,
      configDir: nodes[0]!.configDir,
    });
    await stack.emulator.control.at(EU).seedDomains([{ name: 'fv-1' }]);
    await stack.emulator.control
      .at(EU)
      .backDomain('fv-1', { endpoint: nodes[1]!.endpoint, configDir: nodes[1]!.configDir });
    const v1 = await run(input('car => automobile\n'));
    expect(v1.outcome).toBe('succeeded');
    const [home, eu] = v1.domains;
    // Two places, two packages: the same domain name reads two different files.
    expect(home!.referencePath).not.toBe(eu!.referencePath);
    await searchIndex(nodes[0]!, 'fv-products', home!.referencePath!);
    await searchIndex(nodes[1]!, 'fv-products', eu!.referencePath!);
    for (const n of nodes) expect(await tokens(n, 'fv-products')).toEqual(['automobile']);

    const v2 = await run(
      input('car => vehicle\n', {
        verification: {
          probes: [{ index: 'fv-products', analyzer: 'dict', text: 'car', expectedTokens: ['vehicle'] }],
        },
      }),
    );
    expect(v2.outcome).toBe('succeeded');
    expect(v2.domains.map((d) => [d.target ?? d.domain, d.state, d.verification?.status])).toEqual([
      ['fv-1', 'current', 'passed'],
      ['eu-west-1:fv-1', 'current', 'passed'],
    ]);
    expect(v2.domains.map((d) => d.verification?.indexesRefreshed)).toEqual([
      ['fv-products'],
      ['fv-products'],
    ]);
    for (const n of nodes) expect(await tokens(n, 'fv-products')).toEqual(['vehicle']);
  });
});

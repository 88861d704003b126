/**
 * The run's one real OpenSearch node (src/opensearch-node/, started once per run, as the tests
 * start theirs), behind a slow loopback proxy: every data-plane request waits `delayMs` (fixed by
 * the seed) before it is forwarded, so a refresh, a close/open or a probe runs for long enough that
 * a worker kill can land in it. The emulator backs the verified chains' domains with the proxy's
 * address (DescribeDomain answers it as the endpoint) and the node's config directory.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOpenSearchNode, type OpenSearchNode } from '../src/opensearch-node/index.js';
import { dictionaryIndexBody } from '../harness/dictionary-index.js';

export interface ChaosNode {
  node: OpenSearchNode;
  /** The proxy's URL: what the domains are backed with. */
  endpoint: string;
  delayMs: number;
  stop(): Promise<void>;
}

export async function startChaosNode(delayMs: number, log: (m: string) => void): Promise<ChaosNode> {
  const node = await startOpenSearchNode({ log });
  const target = new URL(node.endpoint);
  const proxy: Server = createServer((req, res) => {
    setTimeout(() => {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }, delayMs).unref();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    node,
    endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    delayMs,
    stop: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await node.stop();
    },
  };
}

async function call(node: OpenSearchNode, method: string, path: string, body?: unknown) {
  const res = await fetch(`${node.endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** The chain's two indexes: `<chain>-search` reads the file at search time, `<chain>-index` at index time. */
export function chainIndexes(chainId: string): { search: string; index: string } {
  return { search: `${chainId}-search`, index: `${chainId}-index` };
}

/** Creates the chain's indexes, their analyzer `dict` reading the package's file (`analyzers/<id>`). */
export async function createChainIndexes(
  node: OpenSearchNode,
  chainId: string,
  referencePath: string,
): Promise<void> {
  const names = chainIndexes(chainId);
  for (const [name, use] of [
    [names.search, 'search'],
    [names.index, 'index'],
  ] as const)
    await call(node, 'PUT', `/${name}`, dictionaryIndexBody(referencePath, use));
}

/** Every index on the node and whether it is open or closed (`_cat/indices`). */
export async function indexStates(node: OpenSearchNode): Promise<Array<{ index: string; status: string }>> {
  return (await call(node, 'GET', '/_cat/indices?format=json&h=index,status&expand_wildcards=all')) as Array<{
    index: string;
    status: string;
  }>;
}

/** What `_analyze` gives for `text` with the index's `dict` analyzer. */
export async function analyze(node: OpenSearchNode, index: string, text: string): Promise<string[]> {
  const r = (await call(node, 'POST', `/${index}/_analyze`, { analyzer: 'dict', text })) as {
    tokens: Array<{ token: string }>;
  };
  return r.tokens.map((t) => t.token);
}

/**
 * The demo's data plane: where Java is present, the emulated domains stand on real OpenSearch
 * nodes (one per domain, so a canary and the next wave can hold different versions), an index on
 * each node reads the sample dictionary, and the demo prints a probe's `_analyze` tokens before
 * and after the rollout, which runs verified (pre-flight check, refresh, probe). Where Java is
 * absent it says so and the demo runs as before, without a data plane.
 */
import { DescribePackagesCommand } from '@aws-sdk/client-opensearch';
import type { AwsClients } from '../../aws/clients.js';
import type { RunningEmulator } from '../../emulator/server.js';
import type { DictionaryRolloutInput } from '../../model/dictionary-rollout.js';
import {
  provisionOpenSearchNode,
  startOpenSearchNode,
  type OpenSearchNode,
} from '../../opensearch-node/index.js';
import { javaExecutable, javaMajorVersion } from '../../opensearch-node/provision.js';
import type { Output } from '../output.js';

/** Nodes are ~210 MiB each: the demo backs its domains only up to this many. */
const MAX_DEMO_NODES = 4;
const INDEX = 'demo-products';
const ANALYZER = 'demo_synonyms';
/** The sample's line `demo => demo<stamp>` (see sampleInput): a token that changes every run. */
const PROBE_TEXT = 'demo';

export interface DemoDataPlane {
  /** Domain -> its node. */
  nodes: Map<string, OpenSearchNode>;
  stop(): Promise<void>;
}

export async function startDemoDataPlane(
  emulator: RunningEmulator,
  domains: string[],
  out: Output,
  env: NodeJS.ProcessEnv,
): Promise<DemoDataPlane | undefined> {
  if (javaMajorVersion(javaExecutable(env), env) === null) {
    out.notice(
      'No Java found (JAVA_HOME or java on PATH): the emulated domains have no data plane, so the rollout is not verified on a real OpenSearch. Install a JDK 17+ to see it.',
    );
    return undefined;
  }
  if (domains.length > MAX_DEMO_NODES) {
    out.notice(
      `${domains.length} domains: the demo backs at most ${MAX_DEMO_NODES} with OpenSearch nodes (~210 MiB each), so this rollout runs without a data plane.`,
    );
    return undefined;
  }
  const backed = domains;
  out.notice(`Starting ${backed.length} OpenSearch node(s) for ${backed.join(', ')} ...`);
  let nodes: OpenSearchNode[];
  try {
    const launcher = await provisionOpenSearchNode({ env, log: (m) => out.notice(m) });
    nodes = await Promise.all(backed.map(() => startOpenSearchNode({ launcher, log: () => undefined })));
  } catch (err) {
    out.notice(`No OpenSearch node for the demo (${(err as Error).message}): running without a data plane.`);
    return undefined;
  }
  const byDomain = new Map(backed.map((d, i) => [d, nodes[i]!]));
  for (const [domain, node] of byDomain)
    await emulator.control.backDomain(domain, { endpoint: node.endpoint, configDir: node.configDir });
  return { nodes: byDomain, stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
}

async function request(node: OpenSearchNode, method: string, path: string, body?: unknown) {
  const res = await fetch(`${node.endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * An index whose search analyzer reads the package's file (updateable: refreshed in place).
 * False when the node has no such file to build it from: the domain is not associated yet, or the
 * emulator's state comes from a run that did not keep the file's bytes.
 */
async function ensureIndex(node: OpenSearchNode, referencePath: string): Promise<boolean> {
  if ((await fetch(`${node.endpoint}/${INDEX}`, { method: 'HEAD' })).status === 200) return true;
  const created = await request(node, 'PUT', `/${INDEX}`, {
    settings: {
      number_of_shards: 1,
      number_of_replicas: 0,
      analysis: {
        filter: { demo_dict: { type: 'synonym_graph', synonyms_path: referencePath, updateable: true } },
        analyzer: { [ANALYZER]: { tokenizer: 'standard', filter: ['lowercase', 'demo_dict'] } },
      },
    },
    mappings: { properties: { title: { type: 'text', analyzer: 'standard', search_analyzer: ANALYZER } } },
  });
  return created.status === 200;
}

async function probeTokens(node: OpenSearchNode): Promise<string[]> {
  const r = await request(node, 'POST', `/${INDEX}/_analyze`, { analyzer: ANALYZER, text: PROBE_TEXT });
  return Array.isArray(r.body.tokens)
    ? r.body.tokens.map((t) => String((t as { token: unknown }).token))
    : [];
}

async function referencePathOf(aws: AwsClients, packageName: string): Promise<string | undefined> {
  const out = await aws.opensearch.send(
    new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: [packageName] }] }),
  );
  const id = out.PackageDetailsList?.[0]?.PackageID;
  return id ? `analyzers/${id}` : undefined;
}

/**
 * Before the rollout: where the package exists (an earlier demo run), each node gets the index and
 * the canary's tokens are printed; the input then asks for the pre-flight check and verification
 * with the probe (the index exists to probe). On a first run there is no index yet to probe: the
 * rollout is verified without the probe, and the index is created after it.
 */
export async function verifiedSample(
  dp: DemoDataPlane,
  aws: AwsClients,
  input: DictionaryRolloutInput,
  expectedTokens: string[],
  out: Output,
): Promise<DictionaryRolloutInput> {
  const referencePath = await referencePathOf(aws, input.packageName);
  const [canary, node] = [...dp.nodes][0]!;
  let probes: NonNullable<DictionaryRolloutInput['verification']>['probes'] = [];
  let indexed = false;
  if (referencePath) {
    indexed = true;
    for (const n of dp.nodes.values()) indexed = (await ensureIndex(n, referencePath)) && indexed;
    if (!indexed)
      out.line(
        `The package exists from an earlier run, but not every node has its file to build the index from (an emulator state saved before files were kept): "${PROBE_TEXT}" is probed after the rollout.`,
      );
  }
  if (indexed) {
    out.line(
      `_analyze "${PROBE_TEXT}" on ${canary} before the rollout: [${(await probeTokens(node)).join(', ')}]`,
    );
    probes = [{ index: INDEX, analyzer: ANALYZER, text: PROBE_TEXT, expectedTokens }];
  } else if (!referencePath)
    out.line(`First run: no index reads the package yet; "${PROBE_TEXT}" is probed after the rollout.`);
  return {
    ...input,
    preflight: { format: 'solr' },
    verification: { probes, maxAttempts: 3 },
  };
}

/** After the rollout: every backed domain's tokens for the probe. */
export async function printTokensAfter(dp: DemoDataPlane, aws: AwsClients, packageName: string, out: Output) {
  const referencePath = await referencePathOf(aws, packageName);
  if (!referencePath) return;
  for (const [domain, node] of dp.nodes) {
    const tokens = (await ensureIndex(node, referencePath))
      ? `[${(await probeTokens(node)).join(', ')}]`
      : '(no index: this node has no file of the package, the domain is not associated with it)';
    out.line(`_analyze "${PROBE_TEXT}" on ${domain} after the rollout: ${tokens}`);
  }
}

/**
 * The chains of the paths added after the first chaos suite, derived from the seed alone (their own
 * dice stream, so the older chains of a seed are what they were):
 *
 * - verified: a dictionary on two domains backed by the run's one real OpenSearch node; the first
 *   rollout creates the package, the suite then creates two indexes whose analyzers read its file
 *   (one search-time, one index-time), and each later rollout refreshes them, closes and reopens
 *   the index-time one, and probes `_analyze` for the token the new content gives;
 * - gated: a dictionary on three domains in two waves with a bake, an alarm gate per domain, a
 *   webhook gate and notifications on the suite's receiver; the second rollout has a planned gate
 *   failure (the canary's alarm fired mid-bake, or the webhook answering 500), under the chain's
 *   failure policy (rollback or halt); the receiver fails or hangs some notifications;
 * - plugin: a ZIP-PLUGIN installed on two domains (blue/green deployments), then a new version of
 *   it, and for the first chain a removal.
 */
import type { SizeSpec } from './options.js';
import { Dice } from './dice.js';
import type { Chain, DictionaryContent } from './plan.js';

export interface GatePlan {
  failurePolicy: 'rollback' | 'halt';
  bakeSeconds: number;
  /** What fails this run's gates: the canary's alarm fired during the first bake, or the webhook. */
  fire: 'none' | 'alarm' | 'webhook';
  /** How the receiver answers the webhook gate: always 500 when `fire` is webhook; else ok, or first 500 / hang. */
  webhook: 'ok' | 'fail-once' | 'hang-once' | 'always-fail';
  /** Notification seqs the receiver always answers 500 (reported failed), and seqs whose first attempt hangs. */
  notifyFail: number[];
  notifyHang: number[];
}

export interface PluginContent {
  id: string;
  /** A ZIP's local file header and text: all the emulator looks at (like AWS's first check). */
  text: string;
}

const ZIP_MAGIC = 'PK\u0003\u0004';

function letters(dice: Dice, n: number): string {
  return Array.from({ length: n }, () => String.fromCharCode(97 + dice.int(0, 25))).join('');
}

export function newPathChains(seed: number, spec: SizeSpec) {
  const dice = new Dice(seed, 3);
  const chains: Chain[] = [];
  const contents: DictionaryContent[] = [];
  const pluginContents: PluginContent[] = [];
  const content = (chain: string, c: number, body: string): DictionaryContent => {
    const id = `chaos-${seed}-${chain}-${c}-${dice.hex(12)}`;
    const made: DictionaryContent = { id, text: `${body}# ${id}\n`, via: 's3', slowMs: 0 };
    contents.push(made);
    return made;
  };

  for (let i = 0; i < spec.verifiedChains; i++) {
    const steps: Chain['steps'] = [];
    for (let c = 0; c < 3; c++) {
      const token = `w${letters(dice, 9)}`;
      steps.push({
        kind: 'dictionary',
        content: content(`v${i}`, c, `car => ${token}\nboat, ship, ${letters(dice, 6)}\n`),
        expectChange: c === 0 ? 'created' : 'updated',
        ...(c > 0 ? { verify: { token } } : {}),
      });
      if (c === 0) steps.push({ kind: 'indexes' });
    }
    chains.push({
      id: `verified-${i}`,
      kind: 'verified',
      target: `chaos-ver-${i}`,
      domains: [`cv${i}-0`, `cv${i}-1`],
      failingDomains: [],
      steps,
    });
  }

  const fires: Array<GatePlan['fire']> = ['alarm', 'webhook', 'alarm'];
  const policies: Array<GatePlan['failurePolicy']> = ['rollback', 'halt', 'halt'];
  for (let i = 0; i < spec.gatedChains; i++) {
    const failurePolicy = policies[i % policies.length]!;
    const steps: Chain['steps'] = [];
    for (let c = 0; c < 3; c++) {
      const fire = c === 1 ? fires[i % fires.length]! : 'none';
      const gates: GatePlan = {
        failurePolicy,
        bakeSeconds: dice.int(3, 5),
        fire,
        webhook: fire === 'webhook' ? 'always-fail' : dice.pick(['ok', 'fail-once', 'hang-once'] as const),
        notifyFail: dice.chance(0.5) ? [dice.int(2, 4)] : [],
        notifyHang: dice.chance(0.3) ? [dice.int(1, 3)] : [],
      };
      steps.push({
        kind: 'dictionary',
        content: content(`g${i}`, c, `sofa, couch, ${letters(dice, 8)}\nlamp, light, ${letters(dice, 8)}\n`),
        expectChange: c === 0 ? 'created' : 'updated',
        gates,
      });
    }
    chains.push({
      id: `gated-${i}`,
      kind: 'gated',
      target: `chaos-gate-${i}`,
      domains: [`cg${i}-0`, `cg${i}-1`, `cg${i}-2`],
      failingDomains: [],
      steps,
    });
  }

  for (let i = 0; i < spec.pluginChains; i++) {
    const steps: Chain['steps'] = [];
    for (let c = 0; c < 2; c++) {
      const plugin: PluginContent = {
        id: `chaos-plug-${seed}-${i}-${c}-${dice.hex(8)}`,
        text: `${ZIP_MAGIC}chaos plugin ${i} build ${c} ${dice.hex(16)}`,
      };
      pluginContents.push(plugin);
      steps.push({
        kind: 'plugin',
        action: 'install',
        content: plugin,
        expectChange: c === 0 ? 'created' : 'updated',
      });
    }
    if (i === 0) steps.push({ kind: 'plugin', action: 'remove' });
    chains.push({
      id: `plugin-${i}`,
      kind: 'plugin',
      target: `chaos-plug-${i}`,
      domains: [`cp${i}-0`, `cp${i}-1`],
      failingDomains: [],
      steps,
    });
  }
  return { chains, contents, pluginContents, nodeDelayMs: dice.int(600, 1200) };
}

/**
 * What a chaos run does, derived from its seed alone: chains of rollouts (one package, IoT package
 * or application/data source pair per chain, its steps in order, chains side by side), the
 * dictionary contents, and which domains fail their associations.
 */
import type { SizeSpec } from './options.js';
import { Dice } from './dice.js';
import type { DomainTarget } from '../src/model/fleet.js';
import { fleetChains } from './plan-fleet.js';
import { newPathChains, type GatePlan, type PluginContent } from './plan-new-paths.js';

export type { GatePlan, PluginContent };

export const STAGING_BUCKET = 'chaos-staging';
export const SOURCE_BUCKET = 'chaos-sources';
export const ARTIFACT_BUCKET = 'chaos-artifacts';
export const ACCOUNT = '123456789012';
export const domainArn = (name: string) => `arn:aws:es:us-east-1:${ACCOUNT}:domain/${name}`;

export interface DictionaryContent {
  id: string;
  text: string;
  /** Where the rollout reads it from. */
  via: 's3' | 'url';
  /** URL sources: the test server sends half, waits this long, then the rest (staging is then killable). */
  slowMs: number;
}

export type Step =
  | {
      kind: 'dictionary';
      content: DictionaryContent;
      expectChange: 'created' | 'updated' | 'unchanged';
      /** Verified rollouts: the token the probes must give for `car` with this content. */
      verify?: { token: string };
      /** Gated rollouts: bake, alarm and webhook gates, notifications, and what the plan breaks. */
      gates?: GatePlan;
    }
  | { kind: 'indexes' }
  | {
      kind: 'plugin';
      action: 'install' | 'remove';
      content?: PluginContent;
      expectChange?: 'created' | 'updated';
    }
  | { kind: 'removal' }
  | { kind: 'iot'; versionName: string; rerun: boolean; keepLast?: number }
  | { kind: 'attach'; rerun: boolean };

export interface Chain {
  id: string;
  kind: 'dictionary' | 'iot' | 'attach' | 'verified' | 'gated' | 'plugin' | 'fleet';
  /** Package name, IoT package name, or application name. */
  target: string;
  /** Domain names; for fleet chains, target keys ('<place>:<domain>', or a plain name). */
  domains: string[];
  /** Fleet chains: the targets as the input takes them, in the order of `domains`. */
  fleetTargets?: DomainTarget[];
  /** Domains whose associations end ASSOCIATION_FAILED (the chain uses failure policy continue). */
  failingDomains: string[];
  /** For attachment chains: the data source, and whether the application starts CREATING. */
  dataSource?: string;
  applicationCreatingMs?: number;
  steps: Step[];
}

export interface Plan {
  chains: Chain[];
  contents: DictionaryContent[];
  /** Domains no rollout targets: nothing may change on them. */
  decoyDomains: string[];
  /** Every domain of the worker's own place (fleet chains' placed domains are not). */
  allDomains: string[];
  /** What the slow proxy in front of the OpenSearch node adds to every data-plane request. */
  nodeDelayMs: number;
  /** Plugin bundles' files, put in the source bucket by the fixtures. */
  pluginContents: PluginContent[];
}

export function makePlan(seed: number, spec: SizeSpec): Plan {
  const dice = new Dice(seed, 1);
  const chains: Chain[] = [];
  const contents: DictionaryContent[] = [];
  for (let i = 0; i < spec.dictionaryChains; i++) {
    const domains = Array.from({ length: dice.int(3, 5) }, (_, j) => `cd${i}-${j}`);
    const failing = i % 3 === 1 ? [`cd${i}-bad`] : [];
    const removed = i % 3 === 2;
    const steps: Step[] = [];
    let last: DictionaryContent | undefined;
    for (let c = 0; c < spec.contentsPerChain; c++) {
      const id = `chaos-${seed}-${i}-${c}-${dice.hex(12)}`;
      const words = Array.from({ length: dice.int(2, 6) }, (_, k) => `syn${k}-${dice.hex(6)}`);
      last = {
        id,
        text: `${words.join(', ')}\n# ${id}\nautomobile, car, ${dice.hex(10)}\n`,
        via: dice.chance(0.4) ? 'url' : 's3',
        slowMs: dice.int(2000, 5000),
      };
      contents.push(last);
      steps.push({ kind: 'dictionary', content: last, expectChange: c === 0 ? 'created' : 'updated' });
    }
    // The same content again: nothing new, no AssociatePackage for current domains.
    steps.push({ kind: 'dictionary', content: last!, expectChange: 'unchanged' });
    if (removed) steps.push({ kind: 'removal' });
    chains.push({
      id: `dict-${i}`,
      kind: 'dictionary',
      target: `chaos-dict-${i}`,
      domains: [...domains, ...failing],
      failingDomains: failing,
      steps,
    });
  }
  for (let i = 0; i < spec.iotChains; i++) {
    const steps: Step[] = [];
    for (let r = 0; r < spec.releasesPerChain; r++)
      steps.push({
        kind: 'iot',
        versionName: `1.${r}.${dice.int(0, 9)}`,
        rerun: false,
        ...(r === spec.releasesPerChain - 1 ? { keepLast: 2 } : {}),
      });
    const lastStep = steps[steps.length - 1] as Extract<Step, { kind: 'iot' }>;
    steps.push({ ...lastStep, rerun: true });
    chains.push({
      id: `iot-${i}`,
      kind: 'iot',
      target: `chaos-fw-${i}`,
      domains: [],
      failingDomains: [],
      steps,
    });
  }
  for (let i = 0; i < spec.attachmentPairs; i++) {
    const domain = `ca${i}-src`;
    chains.push({
      id: `attach-${i}`,
      kind: 'attach',
      target: `chaos-app-${i}`,
      domains: [domain],
      failingDomains: [],
      dataSource: domainArn(domain),
      applicationCreatingMs: i % 2 === 1 ? dice.int(2000, 5000) : 0,
      steps: [
        { kind: 'attach', rerun: false },
        { kind: 'attach', rerun: true },
      ],
    });
  }
  const more = newPathChains(seed, spec);
  chains.push(...more.chains);
  contents.push(...more.contents);
  const fleets = fleetChains(seed, spec);
  chains.push(...fleets.chains);
  contents.push(...fleets.contents);
  const decoyDomains = ['decoy-1', 'decoy-2', 'decoy-3'];
  // The worker's own place: fleet chains' placed domains are seeded at their places (fixtures).
  const allDomains = [...chains.flatMap((c) => c.domains.filter((d) => !d.includes(':'))), ...decoyDomains];
  return {
    chains,
    contents,
    decoyDomains,
    allDomains,
    pluginContents: more.pluginContents,
    nodeDelayMs: more.nodeDelayMs,
  };
}

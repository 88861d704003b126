/**
 * Fleet chains (docs/fleets.md), derived from the seed alone (their own dice stream, so the other
 * chains of a seed are what they were): a dictionary rolled out to 4-6 domains over three places,
 * the worker's own (plain names), another Region of its account, and a Region of another account
 * reached through a registered role with an external id. Waves by Region (a canary in the first
 * Region, then one wave per Region), so the run associates in a second place after the first; the
 * file is staged once and copied to each other place's staging bucket; each place has its package.
 */
import type { DomainTarget } from '../src/model/fleet.js';
import { Dice } from './dice.js';
import type { SizeSpec } from './options.js';
import type { Chain, DictionaryContent, Step } from './plan.js';

/** Workflow ids of fleet chains' runs (dictionaryRolloutWorkflowId of `chaos-fleet-<i>`). */
export const FLEET_WORKFLOW_PREFIX = 'dictionary-rollout/chaos-fleet-';

export const FLEET_ROLE = 'arn:aws:iam::210987654321:role/chaos-rollouts';
export const FLEET_EXTERNAL_ID = 'chaos-fleet-external-id';

/** A place of the fleet chains: its key as results name it, and how the suite reaches it. */
export interface FleetPlace {
  key: string;
  /** Absent: the worker's own Region and account (plain names). */
  region?: string;
  roleArn?: string;
  externalId?: string;
  /** Its staging bucket (other places only: the default place stages in the chain's bucket). */
  bucket?: string;
}

export const FLEET_PLACES: readonly FleetPlace[] = [
  { key: 'default' },
  { key: 'eu-west-1', region: 'eu-west-1', bucket: 'chaos-staging-eu' },
  {
    key: 'ap-southeast-2/210987654321',
    region: 'ap-southeast-2',
    roleArn: FLEET_ROLE,
    externalId: FLEET_EXTERNAL_ID,
    bucket: 'chaos-staging-ap-b',
  },
];

/** `staging.buckets` of every fleet run: keyed by Region. */
export const FLEET_STAGING_BUCKETS: Record<string, string> = Object.fromEntries(
  FLEET_PLACES.filter((p) => p.region && p.bucket).map((p) => [p.region!, p.bucket!]),
);

/** The place key of a target key ('default' for a plain name). */
export function placeKeyOf(targetKey: string): string {
  const colon = targetKey.indexOf(':');
  return colon < 0 ? 'default' : targetKey.slice(0, colon);
}

/** The domain name of a target key. */
export const domainOfKey = (targetKey: string) => targetKey.slice(targetKey.indexOf(':') + 1);

export function fleetTarget(place: FleetPlace, domain: string): DomainTarget {
  if (!place.region) return domain;
  return {
    domain,
    region: place.region,
    ...(place.roleArn ? { roleArn: place.roleArn } : {}),
    ...(place.externalId ? { externalId: place.externalId } : {}),
  };
}

export function fleetChains(seed: number, spec: SizeSpec) {
  const dice = new Dice(seed, 5);
  const chains: Chain[] = [];
  const contents: DictionaryContent[] = [];
  for (let i = 0; i < spec.fleetChains; i++) {
    // Every place has at least one domain; the rest go round the places from a seeded start.
    const count = dice.int(4, 6);
    const first = dice.int(0, FLEET_PLACES.length - 1);
    const targets: DomainTarget[] = [];
    const keys: string[] = [];
    for (let j = 0; j < count; j++) {
      const place = FLEET_PLACES[(first + j) % FLEET_PLACES.length]!;
      const name = `cf${i}-${j}`;
      targets.push(fleetTarget(place, name));
      keys.push(place.region ? `${place.key}:${name}` : name);
    }
    const steps: Step[] = [];
    let last: DictionaryContent | undefined;
    for (let c = 0; c < spec.contentsPerChain; c++) {
      const id = `chaos-${seed}-fleet${i}-${c}-${dice.hex(12)}`;
      last = {
        id,
        text: `fleet${i}-${dice.hex(6)}, ${dice.hex(8)}\n# ${id}\nautomobile, car, ${dice.hex(10)}\n`,
        via: dice.chance(0.4) ? 'url' : 's3',
        slowMs: dice.int(2000, 5000),
      };
      contents.push(last);
      steps.push({ kind: 'dictionary', content: last, expectChange: c === 0 ? 'created' : 'updated' });
    }
    // The last content again: nothing new in any place.
    steps.push({ kind: 'dictionary', content: last!, expectChange: 'unchanged' });
    chains.push({
      id: `fleet-${i}`,
      kind: 'fleet',
      target: `chaos-fleet-${i}`,
      domains: keys,
      fleetTargets: targets,
      failingDomains: [],
      steps,
    });
  }
  return { chains, contents };
}

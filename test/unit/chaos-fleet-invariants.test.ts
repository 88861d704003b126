import { describe, expect, it } from 'vitest';
import type { CallRecord, EmulatorStateSnapshot } from '../../src/emulator/types.js';
import type { RunRecord } from '../../chaos/invariants.js';
import { checkFleetChainEnd, checkFleetRun, type PlaceStates } from '../../chaos/invariants-fleet.js';
import { makePlan } from '../../chaos/plan.js';
import { SIZES } from '../../chaos/options.js';
import { Violations } from '../../chaos/violations.js';

/**
 * The chaos suite's fleet invariants fail on crafted bad outcomes (a second package made at a
 * place by a retried CreatePackage, a domain left at an older version with nothing reported) and
 * hold on the matching good ones; and the fleet plan is the same for the same seed.
 */

const NAME = 'chaos-fleet-0';
const EU = 'eu-west-1';
const DOMAINS = ['cf0-0', `${EU}:cf0-1`];

interface Assoc {
  domain: string;
  packageId: string;
  version: string;
  status?: string;
}

function place(packages: Array<{ id: string; versions: string[] }>, assocs: Assoc[]): EmulatorStateSnapshot {
  const names = [...new Set(assocs.map((a) => a.domain))];
  return {
    opensearch: {
      packages: packages.map((p) => ({
        id: p.id,
        name: NAME,
        status: 'AVAILABLE',
        versions: p.versions.map((version) => ({ version, state: 'available' })),
      })),
      domains: names.map((name) => ({
        name,
        associations: assocs
          .filter((a) => a.domain === name)
          .map((a) => ({
            packageId: a.packageId,
            packageName: NAME,
            domainName: name,
            status: a.status ?? 'ACTIVE',
            packageVersion: a.version,
          })),
      })),
    },
  } as unknown as EmulatorStateSnapshot;
}

const row = (domain: string, state: string, extra: object = {}) => ({
  domain: domain.slice(domain.indexOf(':') + 1),
  ...(domain.includes(':') ? { target: domain } : {}),
  state,
  wave: 0,
  ...extra,
});

const placeRow = (key: string, packageId: string, targetVersion: string, packageChange = 'updated') => ({
  place: { key },
  packageId,
  targetVersion,
  packageChange,
  domains: 1,
  current: 1,
  failed: 0,
});

function record(step: number, status: string, domains: object[], places: object[]): RunRecord {
  return {
    chain: 'fleet-0',
    step,
    kind: 'dictionaryRollout',
    target: NAME,
    workflowId: `dictionary-rollout/${NAME}`,
    runId: `run-${step}`,
    startedAt: '',
    status,
    domains: DOMAINS,
    failingDomains: [],
    result: { outcome: status === 'COMPLETED' ? 'succeeded' : 'failed', domains, places },
  };
}

function violated(run: (v: Violations) => void): string[] {
  const v = new Violations();
  run(v);
  return v.list.map((x) => x.invariant);
}

const before: PlaceStates = {
  default: place([{ id: 'P-US', versions: ['v1'] }], [{ domain: 'cf0-0', packageId: 'P-US', version: 'v1' }]),
  [EU]: place([{ id: 'P-EU', versions: ['v1'] }], [{ domain: 'cf0-1', packageId: 'P-EU', version: 'v1' }]),
};
const goodRun = record(
  2,
  'COMPLETED',
  [row('cf0-0', 'current'), row(`${EU}:cf0-1`, 'current')],
  [placeRow('default', 'P-US', 'v2'), placeRow(EU, 'P-EU', 'v2')],
);
const afterGood: PlaceStates = {
  default: place(
    [{ id: 'P-US', versions: ['v1', 'v2'] }],
    [{ domain: 'cf0-0', packageId: 'P-US', version: 'v2' }],
  ),
  [EU]: place(
    [{ id: 'P-EU', versions: ['v1', 'v2'] }],
    [{ domain: 'cf0-1', packageId: 'P-EU', version: 'v2' }],
  ),
};

describe('chaos fleet invariants', () => {
  it('a run: holds when each place has one package and each domain is at its place’s target version', () => {
    expect(violated((v) => checkFleetRun(goodRun, before, afterGood, [], v))).toEqual([]);
  });

  it('a run: a second package of the name at a place (a retried CreatePackage) is a violation', () => {
    const after: PlaceStates = {
      ...afterGood,
      [EU]: place(
        [
          { id: 'P-EU', versions: ['v1', 'v2'] },
          { id: 'P-EU-2', versions: ['v1'] },
        ],
        [{ domain: 'cf0-1', packageId: 'P-EU', version: 'v2' }],
      ),
    };
    expect(violated((v) => checkFleetRun(goodRun, before, after, [], v))).toContain(
      'fleets: at most one package of the name per place',
    );
  });

  it('a run: a domain called current but left at the previous version is a violation', () => {
    const after: PlaceStates = { ...afterGood, [EU]: before[EU]! };
    expect(violated((v) => checkFleetRun(goodRun, before, after, [], v))).toContain(
      'fleets: no domain left between versions unexplained',
    );
  });

  it('a run: an association at another place of a domain the result does not mention is a violation', () => {
    const call = (domainName: string, packageId: string, region: string, httpStatus = 200): CallRecord =>
      ({
        seq: 1,
        service: 'es',
        operation: 'AssociatePackage',
        mutating: true,
        at: '',
        realAt: '2026-01-01T00:00:01.000Z',
        durationMs: 1,
        httpStatus,
        resource: { packageId, domainName },
        account: '123456789012',
        region,
      }) as CallRecord;
    const open = { ...goodRun, startedAt: '2026-01-01T00:00:00.000Z' };
    // Its own domain at its place, and a refused call elsewhere: nothing to say.
    const fine = [call('cf0-1', 'P-EU', EU), call('cf0-9', 'P-EU', EU, 400)];
    expect(violated((v) => checkFleetRun(open, before, afterGood, fine, v))).toEqual([]);
    // cf0-9 at eu-west-1, which the result never mentions; cf0-0 is the default place's, not eu's.
    const stray = [call('cf0-9', 'P-EU', EU), call('cf0-0', 'P-EU', EU)];
    expect(violated((v) => checkFleetRun(open, before, afterGood, stray, v))).toEqual([
      'nothing the result does not mention was changed',
      'nothing the result does not mention was changed',
    ]);
  });

  it('a run: a planned domain missing from the result is a violation', () => {
    const partial = {
      ...goodRun,
      result: { ...(goodRun.result as object), domains: [row('cf0-0', 'current')] },
    };
    expect(violated((v) => checkFleetRun(partial, before, afterGood, [], v))).toEqual([
      'fleets: no domain left between versions unexplained',
    ]);
  });

  it('chain end: each domain at its place’s version of the last successful run, or reported', () => {
    expect(
      violated((v) =>
        checkFleetChainEnd({ id: 'fleet-0', target: NAME, domains: DOMAINS }, [goodRun], afterGood, v),
      ),
    ).toEqual([]);
    // A later run halted: its canary is current at v3, the eu domain not started stays at v2.
    const failed = record(
      3,
      'FAILED',
      [row('cf0-0', 'current'), row(`${EU}:cf0-1`, 'not-started')],
      [placeRow('default', 'P-US', 'v3'), placeRow(EU, 'P-EU', 'v3')],
    );
    const afterFailed: PlaceStates = {
      default: place(
        [{ id: 'P-US', versions: ['v1', 'v2', 'v3'] }],
        [{ domain: 'cf0-0', packageId: 'P-US', version: 'v3' }],
      ),
      [EU]: afterGood[EU]!,
    };
    expect(
      violated((v) =>
        checkFleetChainEnd(
          { id: 'fleet-0', target: NAME, domains: DOMAINS },
          [goodRun, failed],
          afterFailed,
          v,
        ),
      ),
    ).toEqual([]);
    // The halted run's canary said current at v3 but is back at v1 (neither version): a violation.
    const backAtV1: PlaceStates = { default: before.default!, [EU]: afterGood[EU]! };
    expect(
      violated((v) =>
        checkFleetChainEnd({ id: 'fleet-0', target: NAME, domains: DOMAINS }, [goodRun, failed], backAtV1, v),
      ),
    ).toEqual(['fleets: each domain at its place’s version of the last successful run']);
    // The same end state, but the eu domain left at v1 with nothing reported: a violation.
    const stale: PlaceStates = { default: afterGood.default!, [EU]: before[EU]! };
    expect(
      violated((v) =>
        checkFleetChainEnd({ id: 'fleet-0', target: NAME, domains: DOMAINS }, [goodRun], stale, v),
      ),
    ).toEqual(['fleets: each domain at its place’s version of the last successful run']);
  });

  it('the fleet plan: 4-6 domains over three places, the same for the same seed', () => {
    const a = makePlan(4242, SIZES.quick).chains.filter((c) => c.kind === 'fleet');
    const b = makePlan(4242, SIZES.quick).chains.filter((c) => c.kind === 'fleet');
    expect(a).toEqual(b);
    expect(a).toHaveLength(SIZES.quick.fleetChains);
    for (const chain of a) {
      expect(chain.domains.length).toBeGreaterThanOrEqual(4);
      expect(chain.domains.length).toBeLessThanOrEqual(6);
      const places = new Set(
        chain.domains.map((d) => (d.includes(':') ? d.slice(0, d.indexOf(':')) : 'default')),
      );
      expect([...places].sort()).toEqual(['ap-southeast-2/210987654321', 'default', 'eu-west-1']);
    }
  });
});

/**
 * The invariants of fleet runs (a dictionary over several places), checked from each place's
 * emulator state (custom packages, domains and associations are per account and Region):
 *
 * - per place, at most one package of the chain's name: a CreatePackage retried after a kill or a
 *   lost answer must find the package it made, not make a second one;
 * - per run and place, one version per new content: `created`/`updated` added exactly one version
 *   at the place, `unchanged` none; the staged file is in the place's bucket once;
 * - every planned domain is in the result, and each is where its state says: `current`/`skipped`
 *   ACTIVE at its own place's package and target version, `failed` with a reason, `not-started` as
 *   before the run; no domain left in an unfinished state;
 * - nothing the result does not mention was changed, at any place: each association or
 *   dissociation of a place's package while the run was open is of a domain the result says the
 *   run worked on there;
 * - at the end of a chain, each domain is ACTIVE at its own place's version of the chain's last
 *   successful run, or the chain's last run reports it failed or not-started (and it is not left
 *   mid-association), or current at that run's version (a halted run's earlier waves): nothing
 *   between versions unexplained.
 */
import type { CallRecord, EmulatorStateSnapshot } from '../src/emulator/types.js';
import type { DictionaryRolloutResult, DomainOutcome } from '../src/model/dictionary-rollout.js';
import { effective, inWindow, workedOn, type RunRecord } from './invariants.js';
import { domainOfKey, placeKeyOf } from './plan-fleet.js';
import type { Violations } from './violations.js';

/** Each place's state, by place key ('default', 'eu-west-1', 'ap-southeast-2/210987654321'). */
export type PlaceStates = Record<string, EmulatorStateSnapshot>;

const packagesAt = (state: EmulatorStateSnapshot | undefined, name: string) =>
  (state?.opensearch.packages ?? []).filter((p) => p.name === name && !/DELET/.test(p.status));

const versionsAt = (state: EmulatorStateSnapshot | undefined, name: string) =>
  packagesAt(state, name).flatMap((p) => p.versions.filter((v) => v.state !== 'failed')).length;

function associationAt(state: EmulatorStateSnapshot | undefined, key: string, name: string) {
  const packageIds = new Set(packagesAt(state, name).map((p) => p.id));
  return state?.opensearch.domains
    .find((d) => d.name === domainOfKey(key))
    ?.associations.find((a) => packageIds.has(a.packageId));
}

const keyOf = (d: DomainOutcome) => d.target ?? d.domain;

/** What a place's package moved to in a run ('' when the place was never prepared). */
function placeTarget(result: DictionaryRolloutResult, placeKey: string) {
  return result.places?.find((p) => p.place.key === placeKey);
}

const UNFINISHED = new Set(['pending', 'associating', 'rolling-back']);

export function checkFleetRun(
  r: RunRecord,
  before: PlaceStates,
  after: PlaceStates,
  calls: readonly CallRecord[],
  v: Violations,
): void {
  const where = `${r.chain} step ${r.step} (${r.workflowId}, run ${r.runId})`;
  for (const [place, state] of Object.entries(after))
    v.check(
      'fleets: at most one package of the name per place',
      packagesAt(state, r.target).length <= 1,
      () =>
        `${where}: ${packagesAt(state, r.target).length} packages named ${r.target} at ${place} (${packagesAt(
          state,
          r.target,
        )
          .map((p) => p.id)
          .join(', ')})`,
    );
  const result = r.result as DictionaryRolloutResult | undefined;
  v.check(
    'a rollout that ran has a result',
    result !== undefined,
    () => `${where}: ended ${r.status} ${r.failure?.type}: ${r.failure?.message}`,
  );
  if (!result) {
    // No result: no place may have a new version of the package.
    for (const place of Object.keys(after)) {
      const made = versionsAt(after[place], r.target) - versionsAt(before[place], r.target);
      v.check(
        'nothing the result does not mention was changed',
        made === 0,
        () => `${where}: ended ${r.failure?.type} with no result, yet ${made} new version(s) at ${place}`,
      );
    }
    return;
  }
  for (const p of result.places ?? []) {
    v.check(
      'every failure says why',
      !p.error || Boolean(p.error.type && p.error.message),
      () => `${where}: place ${p.place.key} ended without a reason`,
    );
    v.check(
      'transient faults never fail a domain',
      !p.error,
      () => `${where}: place ${p.place.key} could not be prepared: ${p.error?.type}: ${p.error?.message}`,
    );
    if (p.error || !p.targetVersion) continue;
    if (p.stagedObject) {
      // The place's copy of the staged file: content-addressed, once per content.
      const bucket = after[p.place.key]?.s3?.buckets.find((b) => b.name === p.stagedObject!.bucket);
      const copies = bucket?.objects.filter((o) => o.sha256 === result.contentSha256) ?? [];
      v.check(
        'no duplicate S3 objects',
        copies.length === 1 && copies[0]!.key === p.stagedObject.key,
        () =>
          `${where}: ${copies.length} object(s) with sha256 ${result.contentSha256} in ${p.stagedObject!.bucket} at ${p.place.key}: ${copies.map((o) => o.key).join(', ')}`,
      );
    }
    const made = versionsAt(after[p.place.key], r.target) - versionsAt(before[p.place.key], r.target);
    const expected = p.packageChange === 'unchanged' ? 0 : 1;
    if (r.expectChange)
      v.check(
        'one version per distinct content',
        p.packageChange === r.expectChange,
        () => `${where}: expected ${r.expectChange} at ${p.place.key}, got ${p.packageChange}`,
      );
    v.check(
      'fleets: one version per new content per place',
      made === expected,
      () => `${where}: ${p.place.key} says ${p.packageChange}, yet ${made} version(s) were added there`,
    );
  }
  // Per place, the domains the result says the run worked on (package ids are per place, so a
  // call on a place's package was made at that place).
  const touched = new Set(result.domains.filter(workedOn).map((d) => `${placeKeyOf(keyOf(d))} ${d.domain}`));
  for (const p of result.places ?? []) {
    if (!p.packageId) continue;
    for (const c of calls.filter(
      (c) => effective(c) && inWindow(c, r) && c.resource?.packageId === p.packageId && c.resource.domainName,
    ))
      v.check(
        'nothing the result does not mention was changed',
        touched.has(`${p.place.key} ${c.resource!.domainName!}`),
        () =>
          `${where}: ${c.operation} on ${c.resource!.domainName} at ${p.place.key} (seq ${c.seq}, ${c.account}/${c.region}), which the result does not say the run worked on`,
      );
  }
  const rows = new Map(result.domains.map((d) => [keyOf(d), d]));
  for (const key of r.domains) {
    const row = rows.get(key);
    const place = placeKeyOf(key);
    if (
      !v.check(
        'fleets: no domain left between versions unexplained',
        row !== undefined,
        () => `${where}: ${key} is not in the result`,
      )
    )
      continue;
    const now = associationAt(after[place], key, r.target);
    const was = associationAt(before[place], key, r.target);
    const target = placeTarget(result, place);
    const detail = () =>
      `${where}: ${key} is ${row!.state} in the result; at ${place} its association is ${now ? `${now.status} ${now.packageVersion} of ${now.packageId}` : 'absent'} (before: ${was ? `${was.status} ${was.packageVersion}` : 'absent'}; the place's target ${target?.packageId ?? '?'} ${target?.targetVersion ?? '?'})`;
    if (row!.state === 'current' || row!.state === 'skipped')
      v.check(
        'fleets: no domain left between versions unexplained',
        now?.status === 'ACTIVE' &&
          now.packageId === target?.packageId &&
          now.packageVersion === target?.targetVersion,
        detail,
      );
    else if (row!.state === 'failed') {
      v.check('every domain called failed says why', Boolean(row!.error?.type && row!.error.message), detail);
      // No fleet domain is set up to fail: a failure here came from the chaos.
      v.check(
        'transient faults never fail a domain',
        r.failingDomains.includes(key),
        () => `${where}: ${key} failed: ${row!.error?.type}: ${row!.error?.message}`,
      );
    } else if (row!.state === 'not-started')
      v.check(
        'fleets: no domain left between versions unexplained',
        (now?.packageVersion ?? '') === (was?.packageVersion ?? '') && now?.status !== 'ASSOCIATING',
        detail,
      );
    else v.check('fleets: no domain left between versions unexplained', !UNFINISHED.has(row!.state), detail);
  }
}

/**
 * At the end of a fleet chain: every domain is ACTIVE at its place's version of the chain's last
 * successful run, or the chain's last run says it failed or was not started, or that it is current
 * at that run's version (and it is).
 */
export function checkFleetChainEnd(
  chain: { id: string; target: string; domains: string[] },
  records: RunRecord[],
  final: PlaceStates,
  v: Violations,
): void {
  const runs = records.filter((r) => r.chain === chain.id && r.result !== undefined);
  const lastOk = runs.filter((r) => r.status === 'COMPLETED').at(-1);
  const last = runs.at(-1);
  const okResult = lastOk?.result as DictionaryRolloutResult | undefined;
  const lastResult = last?.result as DictionaryRolloutResult | undefined;
  const lastRows = new Map(
    ((last?.result as DictionaryRolloutResult | undefined)?.domains ?? []).map((d) => [keyOf(d), d]),
  );
  for (const key of chain.domains) {
    const place = placeKeyOf(key);
    const now = associationAt(final[place], key, chain.target);
    const want = okResult ? placeTarget(okResult, place) : undefined;
    const atLastOk =
      want !== undefined &&
      now?.status === 'ACTIVE' &&
      now.packageId === want.packageId &&
      now.packageVersion === want.targetVersion;
    const reported = lastRows.get(key);
    // A later run that failed (halt) leaves earlier waves current at its version: what it reports.
    const lastTarget = lastResult ? placeTarget(lastResult, place) : undefined;
    const explained =
      reported !== undefined &&
      (((reported.state === 'failed' || reported.state === 'not-started') &&
        now?.status !== 'ASSOCIATING' &&
        now?.status !== 'DISSOCIATING') ||
        ((reported.state === 'current' || reported.state === 'skipped') &&
          now?.status === 'ACTIVE' &&
          now.packageId === lastTarget?.packageId &&
          now.packageVersion === lastTarget.targetVersion));
    v.check(
      'fleets: each domain at its place’s version of the last successful run',
      atLastOk || explained,
      () =>
        `${chain.id}: ${key} at ${place} is ${now ? `${now.status} ${now.packageVersion} of ${now.packageId}` : 'not associated'}; the last successful run (${lastOk ? `step ${lastOk.step}` : 'none'}) put ${place} at ${want ? `${want.packageId} ${want.targetVersion}` : 'nothing'}; the last run says ${reported?.state ?? 'nothing'}`,
    );
  }
}

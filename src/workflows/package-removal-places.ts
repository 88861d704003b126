/**
 * Package removal at one place: resolve the package there, dissociate it from that place's
 * domains (bounded concurrency, one wait per window), then delete it once no domain uses it. A
 * plain removal is this at the worker's own place; a fleet removal (docs/fleets.md) runs it per
 * place side by side, each place's package found by name (ids differ per place).
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { createOpenSearchPackageActivities } from '../activities/opensearch-packages.js';
import type { DomainError } from '../model/dictionary-rollout.js';
import { FailureTypes } from '../model/failures.js';
import { placeRefOf, resolveTarget, type ResolvedTarget } from '../model/fleet.js';
import type { DissociationStatus } from '../model/opensearch-packages.js';
import type {
  PackageRemovalParams,
  PackageRemovalResult,
  RemovalDomainOutcome,
} from '../model/package-removal.js';
import { placeKey, type Place } from '../model/place.js';
import { awsCallOptions, latestDeadline, pollingOptions } from './activity-options.js';
import { callPriorityOptions, type CallKind } from './call-priority.js';
import { placeCallPriority } from './place-priority.js';
import { errorSummary } from './failures.js';
import { Patches } from './patches.js';
import { slidingWindow } from './sliding-window.js';

type PackageActivities = ReturnType<typeof createOpenSearchPackageActivities>;
type Deletion = PackageRemovalResult['packageDeletion'];

const nonRetryable = [
  FailureTypes.AwsRequestRejected,
  FailureTypes.PackageInUse,
  FailureTypes.DissociationFailed,
];
// Another place's calls use the same options. PlaceUnreachable is not listed as final: a role STS
// refused fails with a non-retryable failure of its own, while a throttled or unanswered AssumeRole
// is retried like any AWS call (listing the type would end a whole place on one throttled STS call).
const callOptions = awsCallOptions(nonRetryable);
const opensearchPackages = proxyActivities<PackageActivities>(callOptions);

export interface RemovalPlace {
  key: string;
  place: Place | undefined;
  /** Listed targets of this place, or 'all' of its associated domains. */
  wanted: ResolvedTarget[] | 'all';
  packageId?: string;
  deletion: Deletion;
  keptBecause?: string;
  deletionError?: DomainError;
  /** The run this one joined: its package is that run's (one place reached by two names). */
  joinedInto?: string;
}

export interface RemovalSteps {
  input: PackageRemovalParams;
  outcomes: Map<string, RemovalDomainOutcome>;
  report(): void;
  setPhase(phase: 'resolving' | 'dissociating' | 'deleting' | 'done'): void;
  /** The package was found at this place (plain runs show its id in progress at once). */
  found(run: RemovalPlace): void;
}

/** The places of a removal: the worker's own for plain inputs; each target's, or `places`, for fleets. */
export function removalPlaces(input: PackageRemovalParams): RemovalPlace[] {
  const runs = new Map<string, RemovalPlace>();
  const add = (key: string, place: Place | undefined, wanted: RemovalPlace['wanted']) =>
    runs.get(key) ?? runs.set(key, { key, place, wanted, deletion: 'not-requested' }).get(key)!;
  if (input.domains === 'all') {
    add('default', undefined, 'all');
    for (const place of input.places ?? []) add(placeKey(place), place, 'all');
  } else
    for (const t of input.domains.map(resolveTarget)) {
      const run = add(t.placeKey, t.place, []);
      (run.wanted as ResolvedTarget[]).push(t);
    }
  return [...runs.values()];
}

/** Across places: failed if any failed, kept if any kept, deleted if any was. */
export function overallDeletion(list: Deletion[]): Deletion {
  for (const d of ['failed', 'kept', 'deleted', 'already-deleted'] as const) if (list.includes(d)) return d;
  return 'not-requested';
}

/** A fleet result's `places`: one entry per place that went on (`places`: no run that joined another). */
export function withPlaces(
  result: PackageRemovalResult,
  fleet: boolean,
  places: RemovalPlace[],
): PackageRemovalResult {
  if (!fleet) return result;
  return {
    ...result,
    packageId: result.packageId ?? places.find((r) => r.packageId)?.packageId,
    places: places.map((r) => ({
      place: placeRefOf(r.place),
      ...(r.packageId ? { packageId: r.packageId } : {}),
      packageDeletion: r.deletion,
      ...(r.keptBecause ? { keptBecause: r.keptBecause } : {}),
    })),
  };
}

/**
 * Runs that found the same package are one place reached by two names: a target naming the worker's
 * own Region beside plain names, or `places` listing it (package ids are per account and Region, so
 * one id is one place). The others hand their targets to one of them (the worker's own place when
 * it is among them), so that place's domains are dissociated once and its package is deleted once,
 * after all of them, instead of two runs racing (each would find the other's domains still
 * associated and keep the package). Returns the runs that go on, in their order.
 */
export function joinSamePackage(runs: RemovalPlace[]): RemovalPlace[] {
  const first = new Map<string, RemovalPlace>();
  // The worker's own place (plain names) first: others join it, whatever order they were listed in.
  for (const run of [...runs].sort((a, b) => Number(a.place !== undefined) - Number(b.place !== undefined))) {
    if (run.packageId === undefined) continue;
    const into = first.get(run.packageId);
    if (!into) {
      first.set(run.packageId, run);
      continue;
    }
    run.joinedInto = into.key;
    // Either every run of a removal is 'all' (domains: 'all') or every run lists its targets.
    if (into.wanted !== 'all' && run.wanted !== 'all') into.wanted.push(...run.wanted);
  }
  return runs.filter((r) => r.joinedInto === undefined);
}

/**
 * A plain removal, and fleet removals started before runs were joined: each run resolves and goes
 * on. The rest is started from inside resolveAt, in the same turn as the package was found (as
 * this was one function then): an `await` between the two would schedule this run's next call
 * after another run's in the same workflow task, and histories of that order would not replay.
 */
export async function removeAt(steps: RemovalSteps, run: RemovalPlace): Promise<void> {
  await resolveAt(steps, run, () => removeResolved(steps, run));
}

/** What a run's activities are called with: its place, its summaries' tag, its priority. */
function callsAt(input: PackageRemovalParams, run: RemovalPlace) {
  const at = run.place ? { place: run.place } : {};
  const tag = run.place ? `${run.key}: ` : '';
  // Task queue priority (behind its own patch in callPriorityOptions); a place's calls also carry
  // its fairness key, so one busy place cannot starve another (docs/rate-limits.md, "Fleets").
  const prio = (kind: CallKind) => {
    const base = callPriorityOptions(input.priority, kind);
    return run.place && base.priority
      ? { priority: placeCallPriority(input.priority, run.place, kind) }
      : base;
  };
  const opts = (summary: string, kind: CallKind = 'calls') => ({
    ...callOptions,
    ...prio(kind),
    summary: `${tag}${summary}`,
  });
  return { at, tag, prio, opts };
}

/** A domain's outcome under a target's key: fleet targets carry their key and place. */
function outcomeOf(
  target: Pick<ResolvedTarget, 'key' | 'domain' | 'place'>,
  o: Omit<RemovalDomainOutcome, 'domain'>,
): RemovalDomainOutcome {
  return {
    domain: target.domain,
    ...(target.place ? { target: target.key, place: placeRefOf(target.place) } : {}),
    ...o,
  };
}

/** The run's targets: listed, or every domain of the place ('all', read from the package's rows). */
function targetsOf(run: RemovalPlace, associated: Iterable<string>): ResolvedTarget[] {
  if (run.wanted !== 'all') return run.wanted;
  return [...associated].sort().map((domain) => ({
    key: run.place ? `${run.key}:${domain}` : domain,
    domain,
    ...(run.place ? { place: run.place } : {}),
    placeKey: run.key,
  }));
}

/**
 * Finds the run's package at its place. False when there is nothing more to do there: the package
 * is not there (already removed), or the place cannot be reached (its domains fail, not the removal
 * elsewhere; at the worker's own place the failure is the removal's).
 */
export async function resolveAt(
  steps: RemovalSteps,
  run: RemovalPlace,
  andThen?: () => Promise<void>,
): Promise<boolean> {
  const { input, outcomes } = steps;
  const { at, opts } = callsAt(input, run);
  const failAll = (o: Omit<RemovalDomainOutcome, 'domain'>) => {
    if (run.wanted !== 'all') for (const t of run.wanted) outcomes.set(t.key, outcomeOf(t, o));
    else if (o.state === 'failed')
      outcomes.set(`${run.key}:*`, outcomeOf({ key: `${run.key}:*`, domain: '*', place: run.place }, o));
  };
  let pkg;
  try {
    pkg = input.packageId
      ? await opensearchPackages.describePackage.executeWithOptions(
          opts(`describe package ${input.packageId}`),
          [{ packageId: input.packageId }],
        )
      : await opensearchPackages.findPackageByName.executeWithOptions(
          opts(`find package ${input.packageName}`),
          [{ ...at, packageName: input.packageName! }],
        );
  } catch (err) {
    if (!run.place) throw err;
    const error = errorSummary(err);
    run.deletion = input.deletePackage ? 'failed' : 'not-requested';
    run.keptBecause = error.message;
    failAll({ state: 'failed', error });
    return false;
  }
  if (!pkg) {
    // Nothing to remove here: already gone (a second run, or never created).
    failAll({ state: 'not-associated' });
    run.deletion = input.deletePackage ? 'already-deleted' : 'not-requested';
    return false;
  }
  run.packageId = pkg.packageId;
  steps.found(run);
  if (andThen) await andThen();
  return true;
}

/** Dissociates the run's package from its targets (bounded concurrency), then deletes it once unused. */
export async function removeResolved(steps: RemovalSteps, run: RemovalPlace): Promise<void> {
  const { input, outcomes, report } = steps;
  const { at, tag, prio, opts } = callsAt(input, run);
  const pid = run.packageId!;
  const rows = new Map(
    (
      await opensearchPackages.listDomainsForPackage.executeWithOptions(opts(`read domains of ${pid}`), [
        { ...at, packageId: pid },
      ])
    ).map((r) => [r.domain, r]),
  );
  // A domain listed under two keys (a plain name and the same domain named with the worker's own
  // Region) is dissociated once; its outcome is kept under each key.
  const keysOf = new Map<string, string[]>();
  for (const t of targetsOf(run, rows.keys())) {
    const r = rows.get(t.domain);
    outcomes.set(
      t.key,
      outcomeOf(t, r ? { state: 'pending', previousVersion: r.version } : { state: 'not-associated' }),
    );
    if (r) keysOf.set(t.domain, [...(keysOf.get(t.domain) ?? []), t.key]);
  }
  const each = (domain: string, change: (o: RemovalDomainOutcome) => void) => {
    for (const key of keysOf.get(domain)!) change(outcomes.get(key)!);
  };

  // ---- dissociate -----------------------------------------------------------------------------
  steps.setPhase('dissociating');
  report();
  await slidingWindow<DissociationStatus>([...keysOf.keys()], {
    maxConcurrency: input.maxConcurrency,
    deadlineFor: () => Date.now() + input.dissociationDeadlineSeconds * 1000,
    start: async (domain) => {
      each(domain, (o) => {
        o.state = 'dissociating';
        o.startedAt = Date.now();
      });
      try {
        const r = await opensearchPackages.dissociatePackage.executeWithOptions(
          opts(`dissociate ${pid} from ${domain}`, 'cleanup'),
          [{ ...at, packageId: pid, domain }],
        );
        return r === 'already-dissociated' ? { domain, outcome: 'dissociated' } : 'watch';
      } catch (err) {
        return { domain, outcome: 'failed', error: errorSummary(err) };
      }
    },
    poll: (watching) =>
      opensearchPackages.waitForDissociations.executeWithOptions(
        {
          ...pollingOptions(input.pollIntervalSeconds, latestDeadline(watching), [
            FailureTypes.AwsRequestRejected,
          ]),
          ...prio('cleanup'),
          summary: `${tag}wait for ${watching.length} dissociation(s) of ${pid}`,
        },
        [{ ...at, packageId: pid, watching }],
      ),
    pollFailed: (domain, err) => ({ domain, outcome: 'failed', error: errorSummary(err) }),
    settled: (s) =>
      each(s.domain, (o) => {
        o.state = s.outcome === 'dissociated' ? 'dissociated' : 'failed';
        o.finishedAt = Date.now();
        if (s.error) o.error = s.error;
      }),
    afterRound: report,
  });

  // ---- delete, only when nothing is associated any more --------------------------------------
  if (!input.deletePackage) return;
  steps.setPhase('deleting');
  report();
  const remaining = await opensearchPackages.listDomainsForPackage.executeWithOptions(
    opts(`check ${pid} has no domains left`, 'cleanup'),
    [{ ...at, packageId: pid }],
  );
  if (remaining.length > 0) {
    run.deletion = 'kept';
    run.keptBecause = `${tag}still associated with ${remaining.length} domain(s): ${remaining
      .map((r) => r.domain)
      .slice(0, 10)
      .join(', ')}`;
    return;
  }
  run.deletion = await opensearchPackages.deletePackage.executeWithOptions(
    opts(`delete package ${pid}`, 'cleanup'),
    [{ ...at, packageId: pid }],
  );
  // Accepted is not gone: the package is DELETING until AWS has removed it. (Patched: runs
  // started before this wait existed replay without it.)
  if (run.deletion === 'deleted' && patched(Patches.removalWaitsForDeletion)) {
    try {
      await opensearchPackages.waitForPackageDeleted.executeWithOptions(
        {
          ...pollingOptions(input.pollIntervalSeconds, input.dissociationDeadlineSeconds * 1000, [
            FailureTypes.PackageDeleteFailed,
            FailureTypes.AwsRequestRejected,
          ]),
          ...prio('cleanup'),
          summary: `${tag}wait until ${pid} is deleted`,
        },
        [{ ...at, packageId: pid }],
      );
    } catch (err) {
      run.deletion = 'failed';
      run.deletionError = errorSummary(err);
      run.keptBecause = `${tag}${run.deletionError.message}`;
    }
  }
}

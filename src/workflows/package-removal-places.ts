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

export function withPlaces(
  result: PackageRemovalResult,
  fleet: boolean,
  runs: RemovalPlace[],
): PackageRemovalResult {
  if (!fleet) return result;
  return {
    ...result,
    packageId: result.packageId ?? runs.find((r) => r.packageId)?.packageId,
    places: runs.map((r) => ({
      place: placeRefOf(r.place),
      ...(r.packageId ? { packageId: r.packageId } : {}),
      packageDeletion: r.deletion,
      ...(r.keptBecause ? { keptBecause: r.keptBecause } : {}),
    })),
  };
}

export async function removeAt(steps: RemovalSteps, run: RemovalPlace): Promise<void> {
  const { input, outcomes, report } = steps;
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
  const keyOf = (domain: string) => (run.place ? `${run.key}:${domain}` : domain);
  const outcomeFor = (domain: string, o: Omit<RemovalDomainOutcome, 'domain'>): RemovalDomainOutcome => ({
    domain,
    ...(run.place ? { target: keyOf(domain), place: placeRefOf(run.place) } : {}),
    ...o,
  });

  // ---- resolve the package --------------------------------------------------------------------
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
    // Another place that cannot be reached fails its own domains, not the removal elsewhere.
    const error = errorSummary(err);
    run.deletion = input.deletePackage ? 'failed' : 'not-requested';
    run.keptBecause = error.message;
    if (run.wanted !== 'all')
      for (const t of run.wanted) outcomes.set(t.key, outcomeFor(t.domain, { state: 'failed', error }));
    else outcomes.set(`${run.key}:*`, outcomeFor('*', { state: 'failed', error }));
    return;
  }
  if (!pkg) {
    // Nothing to remove here: already gone (a second run, or never created).
    if (run.wanted !== 'all')
      for (const t of run.wanted) outcomes.set(t.key, outcomeFor(t.domain, { state: 'not-associated' }));
    run.deletion = input.deletePackage ? 'already-deleted' : 'not-requested';
    return;
  }
  const pid = (run.packageId = pkg.packageId);
  steps.found(run);
  const rows = new Map(
    (
      await opensearchPackages.listDomainsForPackage.executeWithOptions(opts(`read domains of ${pid}`), [
        { ...at, packageId: pid },
      ])
    ).map((r) => [r.domain, r]),
  );
  const names = run.wanted === 'all' ? [...rows.keys()].sort() : run.wanted.map((t) => t.domain);
  const todo: string[] = [];
  for (const domain of names) {
    const r = rows.get(domain);
    if (r) {
      outcomes.set(keyOf(domain), outcomeFor(domain, { state: 'pending', previousVersion: r.version }));
      todo.push(domain);
    } else outcomes.set(keyOf(domain), outcomeFor(domain, { state: 'not-associated' }));
  }

  // ---- dissociate -----------------------------------------------------------------------------
  steps.setPhase('dissociating');
  report();
  await slidingWindow<DissociationStatus>(todo, {
    maxConcurrency: input.maxConcurrency,
    deadlineFor: () => Date.now() + input.dissociationDeadlineSeconds * 1000,
    start: async (domain) => {
      const o = outcomes.get(keyOf(domain))!;
      o.state = 'dissociating';
      o.startedAt = Date.now();
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
    settled: (s) => {
      const o = outcomes.get(keyOf(s.domain))!;
      o.state = s.outcome === 'dissociated' ? 'dissociated' : 'failed';
      o.finishedAt = Date.now();
      if (s.error) o.error = s.error;
    },
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

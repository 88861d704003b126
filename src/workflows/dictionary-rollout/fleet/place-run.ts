/**
 * Fleets (docs/fleets.md): what a dictionary rollout keeps per place (account and Region). Each
 * place has its own package (custom packages are per account and Region), staged object, target
 * version and previous content; its domains are the targets whose place key it is.
 */
import type { StagedObject } from '../../../activities/s3.js';
import type { PlaceOutcome } from '../../../model/dictionary-rollout.js';
import type { FailureSummary } from '../../../model/failures.js';
import { DEFAULT_PLACE, placeRefOf, stagingBucketFor } from '../../../model/fleet.js';
import type { PackageSummary } from '../../../model/opensearch-packages.js';
import type { Place } from '../../../model/place.js';
import type { DictionaryRolloutState, PackageChange } from '../state.js';
import type { PreviousContent } from '../publish.js';

export interface PlaceRun {
  key: string;
  /** Undefined: the worker's own Region and account (plain names). */
  place: Place | undefined;
  /** Target keys of this place's domains, in input order. */
  targets: string[];
  bucket: string;
  staged?: Pick<StagedObject, 'bucket' | 'key'>;
  pkg?: PackageSummary;
  targetVersion?: string;
  packageChange: PackageChange;
  previous?: PreviousContent;
  /** The place could not be prepared (role not assumable, quota, package failed): its domains failed. */
  error?: FailureSummary;
}

/** The activity argument that routes a call to a place: nothing at all for the worker's own. */
export function at(run: Pick<PlaceRun, 'place'>): { place?: Place } {
  return run.place ? { place: run.place } : {};
}

/** The place runs of a fleet, one per place key, in the order places first appear. */
export function placeRuns(state: DictionaryRolloutState): PlaceRun[] {
  if (state.places.size === 0)
    for (const t of state.targets.values()) {
      let run = state.places.get(t.placeKey);
      if (!run) {
        run = {
          key: t.placeKey,
          place: t.place,
          targets: [],
          bucket: stagingBucketFor(state.input.staging, t.place) ?? '',
          packageChange: 'unchanged',
        };
        state.places.set(t.placeKey, run);
      }
      run.targets.push(t.key);
    }
  return [...state.places.values()];
}

/**
 * Targets that name the worker's own Region with no role are in its own place: the same account
 * and Region as the plain names. With plain names in the run too, they join that place (one
 * package there, prepared once) instead of being a second place managing the same package. Keys
 * stay as given (results and waves name them so); only the place they are prepared and associated
 * through changes. Without plain names there is nothing to join and nothing changes.
 */
export function joinOwnPlace(state: DictionaryRolloutState, ownRegion: string): void {
  const own = state.places.get(DEFAULT_PLACE);
  if (!own) return;
  for (const [key, run] of [...state.places]) {
    if (!run.place || run.place.roleArn || run.place.region !== ownRegion) continue;
    for (const target of run.targets) {
      state.targets.get(target)!.placeKey = DEFAULT_PLACE;
      own.targets.push(target);
    }
    state.places.delete(key);
  }
}

export function placeOf(state: DictionaryRolloutState, key: string): PlaceRun {
  return state.places.get(state.targets.get(key)!.placeKey)!;
}

export function placeOutcomes(state: DictionaryRolloutState): PlaceOutcome[] {
  return [...state.places.values()].map((run) => {
    const outcomes = run.targets.map((k) => state.outcome(k));
    return {
      place: placeRefOf(run.place),
      packageId: run.pkg?.packageId ?? '',
      targetVersion: run.targetVersion ?? '',
      packageChange: run.packageChange,
      ...(run.staged ? { stagedObject: { bucket: run.staged.bucket, key: run.staged.key } } : {}),
      domains: outcomes.length,
      current: outcomes.filter((o) => o.state === 'current' || o.state === 'skipped').length,
      failed: outcomes.filter((o) => o.state === 'failed' || o.state === 'rollback-failed').length,
      ...(run.error ? { error: run.error } : {}),
    };
  });
}

/** The Web UI's per-place table. */
export function placesDetails(state: DictionaryRolloutState): string {
  const rows = placeOutcomes(state).map(
    (p) =>
      `| ${p.place.key} | ${p.packageId || '—'} | ${p.targetVersion || '—'} | ${p.current}/${p.domains} | ${p.failed} | ${p.error ? p.error.message.slice(0, 120) : ''} |`,
  );
  return [
    '',
    '| place | package | version | current | failed | problem |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

import {
  ApplicationFailure,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { RolloutRegions } from '../model/search-attributes.js';
import { FailureTypes } from '../model/failures.js';
import {
  packageRemovalInput,
  type PackageRemovalProgress,
  type PackageRemovalResult,
  type RemovalDomainOutcome,
} from '../model/package-removal.js';
import { parseWorkflowInput, surfaceActivityFailure } from './failures.js';
import { withNotifications } from './notifier.js';
import { packageRemovalMessages } from './messages.js';
import { WorkflowTypes } from '../model/constants.js';
import { publishIdentity, publishStatus } from './search-attributes.js';
import { Patches } from './patches.js';
import { budgetWaitLine } from './call-priority.js';
import { isFleet } from '../model/fleet.js';
import {
  joinSamePackage,
  overallDeletion,
  removalPlaces,
  removeAt,
  removeResolved,
  resolveAt,
  withPlaces,
} from './package-removal-places.js';

/**
 * Removes a package: dissociates it from domains (bounded concurrency), waits until each domain's
 * association is gone, then deletes the package when no domain uses it any more. Safe to run
 * again: a domain already dissociated and a package already deleted count as done.
 */
export async function packageRemoval(rawInput: unknown): Promise<PackageRemovalResult> {
  return withNotifications(rawInput, () =>
    removePackage(rawInput).catch((err: unknown) => {
      if (!(err instanceof ApplicationFailure && err.type === FailureTypes.RolloutFailed))
        publishStatus('failed');
      throw surfaceActivityFailure(err);
    }),
  );
}

async function removePackage(rawInput: unknown): Promise<PackageRemovalResult> {
  const startedAt = Date.now();
  const input = parseWorkflowInput(packageRemovalInput, rawInput, 'packageRemoval input');
  publishIdentity(WorkflowTypes.packageRemoval, input);
  let phase: PackageRemovalProgress['phase'] = 'resolving';
  let packageId: string | undefined = input.packageId;
  const outcomes = new Map<string, RemovalDomainOutcome>();
  setHandler(packageRemovalMessages.progress, () => ({ phase, packageId, domains: [...outcomes.values()] }));
  publishStatus('running');

  const count = (state: RemovalDomainOutcome['state']) =>
    [...outcomes.values()].filter((o) => o.state === state).length;
  const report = () =>
    setCurrentDetails(
      `**${phase}** package ${input.packageName ?? ''} ${packageId ?? ''}\n\n| dissociated | not associated | failed | in progress |\n|---|---|---|---|\n` +
        `| ${count('dissociated')} | ${count('not-associated')} | ${count('failed')} | ${count('dissociating') + count('pending')} |` +
        (phase === 'done'
          ? ''
          : `\n\n${budgetWaitLine(input.priority, phase === 'resolving' ? 'calls' : 'cleanup')}`),
    );
  const finish = (
    outcome: PackageRemovalResult['outcome'],
    packageDeletion: PackageRemovalResult['packageDeletion'],
    keptBecause?: string,
  ): PackageRemovalResult => ({
    outcome,
    packageName: input.packageName,
    packageId,
    packageDeletion,
    ...(keptBecause ? { keptBecause } : {}),
    domains: [...outcomes.values()],
    counts: {
      dissociated: count('dissociated'),
      notAssociated: count('not-associated'),
      failed: count('failed'),
    },
    startedAt,
    finishedAt: Date.now(),
  });

  // One place (the worker's own) for plain inputs; one per place across a fleet, side by side
  // (behind the fleet-targets patch: plain runs never ask, so their histories are as they were).
  const fleet = isFleet(input.domains) || input.places !== undefined;
  if (fleet && !patched(Patches.fleetTargets))
    throw ApplicationFailure.nonRetryable(
      'a fleet removal replayed on code without fleet support',
      FailureTypes.InvalidInput,
    );
  const runs = removalPlaces(input);
  if (fleet)
    upsertSearchAttributes([
      { key: RolloutRegions, value: [...new Set(runs.flatMap((r) => (r.place ? [r.place.region] : [])))] },
    ]);
  const steps = {
    input,
    outcomes,
    report,
    setPhase: (p: typeof phase) => void (phase = p),
    found: (run: { packageId?: string }) => void (fleet ? undefined : (packageId = run.packageId)),
  };
  if (fleet && patched(Patches.removalJoinsSamePackage)) {
    // Every place is resolved first, so that runs which found one package (one place by two
    // names) go on as one.
    const found = await Promise.all(runs.map((run) => resolveAt(steps, run)));
    const going = joinSamePackage(runs.filter((_, i) => found[i]));
    await Promise.all(going.map((run) => removeResolved(steps, run)));
  } else await Promise.all(runs.map((run) => removeAt(steps, run)));
  // The places that went on: a run that joined another is that place under a second name.
  const places = runs.filter((r) => r.joinedInto === undefined);
  const gone = runs.every((r) => r.packageId === undefined && r.keptBecause === undefined);
  if (gone) {
    phase = 'done';
    report();
    publishStatus('succeeded', 0);
    return withPlaces(
      finish('already-removed', input.deletePackage ? 'already-deleted' : 'not-requested'),
      fleet,
      places,
    );
  }
  const deletion = overallDeletion(places.map((r) => r.deletion));
  const keptBecause = places.find((r) => r.keptBecause)?.keptBecause;
  const deletionError = places.find((r) => r.deletionError)?.deletionError;

  phase = 'done';
  report();
  const failed = count('failed');
  const result = withPlaces(
    finish(
      failed === 0 && !deletionError ? 'removed' : count('dissociated') > 0 ? 'partial' : 'failed',
      deletion,
      keptBecause,
    ),
    fleet,
    places,
  );
  publishStatus(
    result.outcome === 'removed' ? 'succeeded' : result.outcome === 'partial' ? 'partial' : 'failed',
    failed,
  );
  if (deletionError && failed === 0) {
    throw ApplicationFailure.create({
      message: `every domain is dissociated, but ${deletionError.message}`,
      type: FailureTypes.RolloutFailed,
      nonRetryable: true,
      details: [result],
    });
  }
  if (failed > 0) {
    const first = result.domains.find((d) => d.state === 'failed')!;
    throw ApplicationFailure.create({
      message: `${failed} domain(s) could not be dissociated (first: ${first.domain}: ${first.error?.message ?? 'unknown'}); package ${deletion}`,
      type: FailureTypes.RolloutFailed,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

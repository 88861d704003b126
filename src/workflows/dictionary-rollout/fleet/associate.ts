/**
 * Fleets: one wave. Its domains are grouped by place and each place runs its own sliding window
 * (one package per place, so one ListDomainsForPackage read per place and round), side by side.
 * `maxConcurrency` bounds each place's window: AWS's rate limits are per account and Region too.
 * The failure policy is fleet-wide: under halt and rollback the first failure anywhere stops new
 * starts in every place. Domains of places that could not be prepared are not in any wave and do
 * not count as a failure of a wave.
 */
import type { AssociationStatus } from '../../../model/opensearch-packages.js';
import { errorSummary } from '../../failures.js';
import { slidingWindow } from '../../sliding-window.js';
import { domainWaitOptions } from '../activities.js';
import { fleetCallPriority } from '../priority.js';
import type { DictionaryRolloutState } from '../state.js';
import { fleetCallOptions, placePackages } from './activities.js';
import { at, placeOf, type PlaceRun } from './place-run.js';

export async function associateFleetWave(state: DictionaryRolloutState, keys: string[]): Promise<void> {
  const { policy } = state.input;
  const failedBefore = state.count('failed');
  const byPlace = new Map<PlaceRun, string[]>();
  for (const key of keys) {
    const run = placeOf(state, key);
    byPlace.set(run, [...(byPlace.get(run) ?? []), key]);
  }
  const stop = () =>
    state.cancelRequested || (policy.failurePolicy !== 'continue' && state.count('failed') > failedBefore);
  await Promise.all(
    [...byPlace].map(async ([run, list]) => {
      const packageId = run.pkg!.packageId;
      const version = run.targetVersion!;
      const notStarted = await slidingWindow<AssociationStatus>(list, {
        maxConcurrency: policy.maxConcurrency,
        deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
        stop,
        held: () => state.paused,
        start: async (key) => {
          const o = state.outcome(key);
          o.state = 'associating';
          o.startedAt = Date.now();
          try {
            const r = await placePackages.associatePackage.executeWithOptions(
              {
                ...fleetCallOptions,
                ...fleetCallPriority(state, run.place),
                summary: `${run.key}: associate ${packageId} ${version} -> ${o.domain}`,
              },
              [{ ...at(run), packageId, domain: o.domain }],
            );
            return r === 'already-current' ? { domain: key, outcome: 'current', version } : 'watch';
          } catch (err) {
            return { domain: key, outcome: 'failed', version: o.version, error: errorSummary(err) };
          }
        },
        poll: async (watching) => {
          const names = new Map(watching.map((w) => [state.outcome(w.domain).domain, w.domain]));
          const settled = await placePackages.waitForAssociations.executeWithOptions(
            {
              ...domainWaitOptions(policy.pollIntervalSeconds, watching),
              ...fleetCallPriority(state, run.place),
              summary: `${run.key}: wait for ${watching.length} domain(s) to be ACTIVE at ${version}`,
            },
            [
              {
                ...at(run),
                packageId,
                targetVersion: version,
                watching: watching.map((w) => ({
                  domain: state.outcome(w.domain).domain,
                  deadline: w.deadline,
                })),
              },
            ],
          );
          return settled.map((s) => ({ ...s, domain: names.get(s.domain) ?? s.domain }));
        },
        pollFailed: (key, err) => ({ domain: key, outcome: 'failed', error: errorSummary(err) }),
        settled: (status) => state.recordAssociation(status),
        afterRound: () => state.report(),
      });
      for (const key of notStarted) state.outcome(key).state = 'not-started';
    }),
  );
}

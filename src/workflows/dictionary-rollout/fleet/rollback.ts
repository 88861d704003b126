/**
 * Fleets: the rollback policy, place by place side by side. In each place the domains this run
 * moved go back to that place's previous content (republished from the place's staging bucket as
 * a new version, then re-associated) or are dissociated where they had no association before.
 * Places that could not be prepared had nothing moved and are left as they are.
 */
import {
  commitMessageFor,
  describeWithMarker,
  stagedKey,
  type DomainOutcome,
} from '../../../model/dictionary-rollout.js';
import type { AssociationStatus, DissociationStatus } from '../../../model/opensearch-packages.js';
import { errorSummary } from '../../failures.js';
import { slidingWindow } from '../../sliding-window.js';
import { domainWaitOptions, packageWaitOptions } from '../activities.js';
import { fleetCallPriority } from '../priority.js';
import { verifyRestored } from '../verify.js';
import type { DictionaryRolloutState } from '../state.js';
import { fleetCallOptions, placePackages } from './activities.js';
import { at, type PlaceRun } from './place-run.js';

export async function rollbackFleet(state: DictionaryRolloutState): Promise<void> {
  const runs = [...state.places.values()].filter((r) => !r.error && r.pkg);
  const moved = runs.map((run) => ({
    run,
    list: run.targets
      .map((k) => state.outcome(k))
      .filter((o) => o.state === 'current' || o.state === 'failed'),
  }));
  for (const { list } of moved) for (const o of list) o.state = 'rolling-back';
  state.report();
  await Promise.all(
    moved.filter((m) => m.list.length > 0).map(({ run, list }) => rollbackPlace(state, run, list)),
  );
}

async function rollbackPlace(
  state: DictionaryRolloutState,
  run: PlaceRun,
  list: DomainOutcome[],
): Promise<void> {
  const { input } = state;
  const { policy } = input;
  const packageId = run.pkg!.packageId;
  const opts = (summary: string) => ({
    ...fleetCallOptions,
    ...fleetCallPriority(state, run.place),
    summary: `${run.key}: rollback: ${summary}`,
  });
  const toRestore = list.filter((o) => o.previousVersion !== undefined);
  const toDissociate = list.filter((o) => o.previousVersion === undefined);
  let version: string | undefined;
  if (toRestore.length > 0) {
    const sha = run.previous?.sha256;
    const why =
      sha === state.staged!.sha256
        ? 'this run did not change the package content here, and only the current version can be associated'
        : !sha
          ? 'the previous content is unknown (the package was not published by package-rollouts), so it cannot be republished'
          : undefined;
    if (why) for (const o of toRestore) state.recordRollback(o, false, why);
    else
      try {
        const key = stagedKey(input.staging.prefix, sha!, input.packageType);
        await placePackages.updatePackage.executeWithOptions(opts(`republish ${sha!.slice(0, 12)}`), [
          {
            ...at(run),
            packageId,
            description: describeWithMarker(input.description, sha!),
            commitMessage: `rollback ${commitMessageFor(sha!)}`.slice(0, 160),
            sha256: sha!,
            bucket: run.bucket,
            key,
          },
        ]);
        const restored = await placePackages.waitForPackageAvailable.executeWithOptions(
          {
            ...fleetCallPriority(state, run.place),
            ...packageWaitOptions(policy.pollIntervalSeconds),
            summary: `${run.key}: wait until ${packageId} is AVAILABLE (rollback)`,
          },
          [{ ...at(run), packageId, sha256: sha!, notVersion: run.targetVersion ?? '' }],
        );
        version = run.targetVersion = restored.availableVersion!;
      } catch (err) {
        const message = `could not republish the previous content: ${errorSummary(err).message}`;
        for (const o of toRestore) state.recordRollback(o, false, message);
      }
  }
  const keyOf = new Map(list.map((o) => [o.domain, o]));
  const window = {
    maxConcurrency: policy.maxConcurrency,
    deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
  };
  if (version) {
    const v = version;
    await slidingWindow<AssociationStatus>(
      toRestore.map((o) => o.domain),
      {
        ...window,
        start: async (domain) => {
          try {
            const r = await placePackages.associatePackage.executeWithOptions(
              opts(`associate ${packageId} ${v} -> ${domain}`),
              [{ ...at(run), packageId, domain }],
            );
            return r === 'already-current' ? { domain, outcome: 'current', version: v } : 'watch';
          } catch (err) {
            return { domain, outcome: 'failed', error: errorSummary(err) };
          }
        },
        poll: (watching) =>
          placePackages.waitForAssociations.executeWithOptions(
            {
              ...domainWaitOptions(policy.pollIntervalSeconds, watching),
              summary: `${run.key}: rollback: wait for ${watching.length} domain(s) at ${v}`,
            },
            [{ ...at(run), packageId, targetVersion: v, watching }],
          ),
        pollFailed: (domain, err) => ({ domain, outcome: 'failed', error: errorSummary(err) }),
        settled: (s) =>
          state.recordRollback(keyOf.get(s.domain)!, s.outcome === 'current', s.error?.message, s.version),
      },
    );
  }
  if (version && state.input.verification) await verifyRestored(state, packageId, toRestore);
  await slidingWindow<DissociationStatus>(
    toDissociate.map((o) => o.domain),
    {
      ...window,
      start: async (domain) => {
        try {
          const r = await placePackages.dissociatePackage.executeWithOptions(
            opts(`dissociate ${packageId} from ${domain}`),
            [{ ...at(run), packageId, domain }],
          );
          return r === 'already-dissociated' ? { domain, outcome: 'dissociated' } : 'watch';
        } catch (err) {
          return { domain, outcome: 'failed', error: errorSummary(err) };
        }
      },
      poll: (watching) =>
        placePackages.waitForDissociations.executeWithOptions(
          {
            ...domainWaitOptions(policy.pollIntervalSeconds, watching),
            summary: `${run.key}: rollback: wait for ${watching.length} dissociation(s)`,
          },
          [{ ...at(run), packageId, watching }],
        ),
      pollFailed: (domain, err) => ({ domain, outcome: 'failed', error: errorSummary(err) }),
      settled: (s) =>
        state.recordRollback(keyOf.get(s.domain)!, s.outcome === 'dissociated', s.error?.message),
    },
  );
}

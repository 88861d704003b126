/**
 * Fleets: the plan. Each reachable place's domains that are ACTIVE at that place's version are
 * skipped; the rest, over the whole fleet in input order, are split into waves by the policy
 * (`regions`: a canary in the first Region, then Region by Region).
 */
import { planWaves } from '../../../model/dictionary-rollout.js';
import { fleetCallPriority } from '../priority.js';
import type { DictionaryRolloutState } from '../state.js';
import { fleetCallOptions, placePackages } from './activities.js';
import { at, placeRuns } from './place-run.js';

export async function planFleet(state: DictionaryRolloutState): Promise<void> {
  state.phase = 'planning';
  const todo = new Set<string>();
  await Promise.all(
    placeRuns(state)
      .filter((run) => !run.error && run.pkg)
      .map(async (run) => {
        const rows = await placePackages.listDomainsForPackage
          .executeWithOptions(
            {
              ...fleetCallOptions,
              ...fleetCallPriority(state, run.place),
              summary: `${run.key}: read domains of ${run.pkg!.packageId}`,
            },
            [{ ...at(run), packageId: run.pkg!.packageId }],
          )
          .catch(() => []);
        const byName = new Map(rows.map((r) => [r.domain, r]));
        for (const key of run.targets) {
          const o = state.outcome(key);
          const r = byName.get(o.domain);
          o.previousVersion = r?.version;
          o.version = r?.version;
          if (r?.status === 'ACTIVE' && r.version === run.targetVersion) {
            o.state = 'skipped';
            if (r.referencePath) o.referencePath = r.referencePath;
          } else todo.add(key);
        }
      }),
  );
  const keys = [...state.targets.keys()].filter((k) => todo.has(k));
  const spec = state.input.policy.waves;
  state.waves = planWaves(
    keys,
    spec.strategy === 'explicit'
      ? { ...spec, waves: spec.waves.map((w) => w.filter((k) => todo.has(k))).filter((w) => w.length > 0) }
      : spec,
  );
  state.waves.forEach((wave, w) => wave.forEach((k) => (state.outcome(k).wave = w)));
  state.report();
}

/**
 * The plan: which domains need the new version (those ACTIVE at it already are skipped, with no
 * AssociatePackage call), split into waves by the policy.
 */
import { planWaves } from '../../model/dictionary-rollout.js';
import { callOptions, opensearchPackages } from './activities.js';
import { callPriority } from './priority.js';
import type { DictionaryRolloutState } from './state.js';

export async function planRollout(state: DictionaryRolloutState, packageId: string): Promise<void> {
  const { input, targetVersion } = state;
  state.phase = 'planning';
  const rows = new Map(
    (
      await opensearchPackages.listDomainsForPackage.executeWithOptions(
        { ...callOptions, ...callPriority(state), summary: `read domains of ${packageId}` },
        [{ packageId }],
      )
    ).map((r) => [r.domain, r]),
  );
  const todo: string[] = [];
  // Plain names only here (fleets plan in fleet/plan.ts): a plain name is its own target key.
  for (const domain of state.targets.keys()) {
    const o = state.outcome(domain);
    const r = rows.get(domain);
    o.previousVersion = r?.version;
    o.version = r?.version;
    if (r?.status === 'ACTIVE' && r.version === targetVersion) {
      o.state = 'skipped';
      if (r.referencePath) o.referencePath = r.referencePath;
    } else todo.push(domain);
  }
  const spec = input.policy.waves;
  state.waves = planWaves(
    todo,
    spec.strategy === 'explicit'
      ? {
          ...spec,
          // Explicit waves without the skipped domains, and without waves left empty by that.
          waves: spec.waves.map((w) => w.filter((d) => todo.includes(d))).filter((w) => w.length > 0),
        }
      : spec,
  );
  state.waves.forEach((wave, w) => wave.forEach((d) => (state.outcome(d).wave = w)));
  state.report();
}

/**
 * Moving domains to a version: AssociatePackage per domain, then one wait over every domain in
 * flight until each is ACTIVE at that version, as one sliding window of at most maxConcurrency.
 * The rollback re-associates with the same two steps.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import type { AssociationStatus } from '../../model/opensearch-packages.js';
import { errorSummary } from '../failures.js';
import { slidingWindow } from '../sliding-window.js';
import { callOptions, domainWaitOptions, opensearchPackages } from './activities.js';
import { callPriority } from './priority.js';
import type { DictionaryRolloutState } from './state.js';
import { associateFleetWave } from './fleet/associate.js';

/** Sends AssociatePackage: 'watch' while AWS works on it, or the domain's status when it is settled. */
export async function startAssociation(
  packageId: string,
  domain: string,
  version: string,
  summary: string,
  priority: Pick<ActivityOptions, 'priority'> = {},
): Promise<AssociationStatus | 'watch'> {
  try {
    const r = await opensearchPackages.associatePackage.executeWithOptions(
      { ...callOptions, ...priority, summary },
      [{ packageId, domain }],
    );
    return r === 'already-current' ? { domain, outcome: 'current', version } : 'watch';
  } catch (err) {
    return { domain, outcome: 'failed', error: errorSummary(err) };
  }
}

/** One wait over the watched domains: the statuses of those that settled. */
export function waitForAssociations(
  state: DictionaryRolloutState,
  packageId: string,
  targetVersion: string,
  watching: Array<{ domain: string; deadline: number }>,
  summary: string,
): Promise<AssociationStatus[]> {
  return opensearchPackages.waitForAssociations.executeWithOptions(
    {
      ...domainWaitOptions(state.input.policy.pollIntervalSeconds, watching),
      ...callPriority(state),
      summary,
    },
    [{ packageId, targetVersion, watching }],
  );
}

/** One wave: its domains move to the target version, each recorded as it settles. */
export async function associateWave(
  state: DictionaryRolloutState,
  packageId: string,
  domains: string[],
): Promise<void> {
  if (state.fleet) return associateFleetWave(state, domains);
  const { policy } = state.input;
  const targetVersion = state.targetVersion!;
  const notStarted = await slidingWindow<AssociationStatus>(domains, {
    maxConcurrency: policy.maxConcurrency,
    deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
    // halt and rollback: the first failure stops new starts at once, in this wave too.
    stop: () => state.cancelRequested || (policy.failurePolicy !== 'continue' && state.count('failed') > 0),
    held: () => state.paused,
    start: async (domain) => {
      const o = state.outcome(domain);
      o.state = 'associating';
      o.startedAt = Date.now();
      const started = await startAssociation(
        packageId,
        domain,
        targetVersion,
        `associate ${packageId} ${targetVersion} -> ${domain}`,
        callPriority(state),
      );
      // Refused by AWS: the domain stays at the version it had.
      return started !== 'watch' && started.outcome === 'failed'
        ? { ...started, version: o.version }
        : started;
    },
    poll: (watching) =>
      waitForAssociations(
        state,
        packageId,
        targetVersion,
        watching,
        `wait for ${watching.length} domain(s) to be ACTIVE at ${targetVersion}`,
      ),
    pollFailed: (domain, err) => ({ domain, outcome: 'failed', error: errorSummary(err) }),
    settled: (status) => state.recordAssociation(status),
    afterRound: () => state.report(),
  });
  for (const domain of notStarted) state.outcome(domain).state = 'not-started';
}

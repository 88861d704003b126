import {
  ApplicationFailure,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { createOpenSearchPackageActivities } from '../activities/opensearch-packages.js';
import type { DomainError } from '../model/dictionary-rollout.js';
import type { DissociationStatus } from '../model/opensearch-packages.js';
import { FailureTypes } from '../model/failures.js';
import {
  packageRemovalInput,
  type PackageRemovalProgress,
  type PackageRemovalResult,
  type RemovalDomainOutcome,
} from '../model/package-removal.js';
import { awsCallOptions, latestDeadline, pollingOptions } from './activity-options.js';
import { errorSummary, parseWorkflowInput, surfaceActivityFailure } from './failures.js';
import { withNotifications } from './notifier.js';
import { packageRemovalMessages } from './messages.js';
import { WorkflowTypes } from '../model/constants.js';
import { publishIdentity, publishStatus } from './search-attributes.js';
import { Patches } from './patches.js';
import { budgetWaitLine, callPriorityOptions } from './call-priority.js';
import { slidingWindow } from './sliding-window.js';

type PackageActivities = ReturnType<typeof createOpenSearchPackageActivities>;

const callOptions = awsCallOptions([
  FailureTypes.AwsRequestRejected,
  FailureTypes.PackageInUse,
  FailureTypes.DissociationFailed,
]);
/** OpenSearch Service package calls. */
const opensearchPackages = proxyActivities<PackageActivities>(callOptions);

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

  // ---- resolve the package --------------------------------------------------------------------
  const pkg = input.packageId
    ? await opensearchPackages.describePackage.executeWithOptions(
        {
          ...callOptions,
          ...callPriorityOptions(input.priority),
          summary: `describe package ${input.packageId}`,
        },
        [{ packageId: input.packageId }],
      )
    : await opensearchPackages.findPackageByName.executeWithOptions(
        {
          ...callOptions,
          ...callPriorityOptions(input.priority),
          summary: `find package ${input.packageName}`,
        },
        [{ packageName: input.packageName! }],
      );
  if (!pkg) {
    // Nothing to remove: already gone (a second run, or never created).
    if (Array.isArray(input.domains))
      for (const d of input.domains) outcomes.set(d, { domain: d, state: 'not-associated' });
    phase = 'done';
    report();
    publishStatus('succeeded', 0);
    return finish('already-removed', input.deletePackage ? 'already-deleted' : 'not-requested');
  }
  packageId = pkg.packageId;
  const pid = pkg.packageId;
  const rows = new Map(
    (
      await opensearchPackages.listDomainsForPackage.executeWithOptions(
        { ...callOptions, ...callPriorityOptions(input.priority), summary: `read domains of ${pid}` },
        [{ packageId: pid }],
      )
    ).map((r) => [r.domain, r]),
  );
  const targets = input.domains === 'all' ? [...rows.keys()].sort() : input.domains;
  const todo: string[] = [];
  for (const domain of targets) {
    const r = rows.get(domain);
    if (r) {
      outcomes.set(domain, { domain, state: 'pending', previousVersion: r.version });
      todo.push(domain);
    } else outcomes.set(domain, { domain, state: 'not-associated' });
  }

  // ---- dissociate -----------------------------------------------------------------------------
  phase = 'dissociating';
  report();
  await slidingWindow<DissociationStatus>(todo, {
    maxConcurrency: input.maxConcurrency,
    deadlineFor: () => Date.now() + input.dissociationDeadlineSeconds * 1000,
    start: async (domain) => {
      const o = outcomes.get(domain)!;
      o.state = 'dissociating';
      o.startedAt = Date.now();
      try {
        const r = await opensearchPackages.dissociatePackage.executeWithOptions(
          {
            ...callOptions,
            ...callPriorityOptions(input.priority, 'cleanup'),
            summary: `dissociate ${pid} from ${domain}`,
          },
          [{ packageId: pid, domain }],
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
          ...callPriorityOptions(input.priority, 'cleanup'),
          summary: `wait for ${watching.length} dissociation(s) of ${pid}`,
        },
        [{ packageId: pid, watching }],
      ),
    pollFailed: (domain, err) => ({ domain, outcome: 'failed', error: errorSummary(err) }),
    settled: (s) => {
      const o = outcomes.get(s.domain)!;
      o.state = s.outcome === 'dissociated' ? 'dissociated' : 'failed';
      o.finishedAt = Date.now();
      if (s.error) o.error = s.error;
    },
    afterRound: report,
  });

  // ---- delete, only when nothing is associated any more --------------------------------------
  let deletion: PackageRemovalResult['packageDeletion'] = 'not-requested';
  let keptBecause: string | undefined;
  let deletionError: DomainError | undefined;
  if (input.deletePackage) {
    phase = 'deleting';
    report();
    const remaining = await opensearchPackages.listDomainsForPackage.executeWithOptions(
      {
        ...callOptions,
        ...callPriorityOptions(input.priority, 'cleanup'),
        summary: `check ${pid} has no domains left`,
      },
      [{ packageId: pid }],
    );
    if (remaining.length === 0) {
      deletion = await opensearchPackages.deletePackage.executeWithOptions(
        {
          ...callOptions,
          ...callPriorityOptions(input.priority, 'cleanup'),
          summary: `delete package ${pid}`,
        },
        [{ packageId: pid }],
      );
      // Accepted is not gone: the package is DELETING until AWS has removed it. (Patched: runs
      // started before this wait existed replay without it.)
      if (deletion === 'deleted' && patched(Patches.removalWaitsForDeletion)) {
        try {
          await opensearchPackages.waitForPackageDeleted.executeWithOptions(
            {
              ...pollingOptions(input.pollIntervalSeconds, input.dissociationDeadlineSeconds * 1000, [
                FailureTypes.PackageDeleteFailed,
                FailureTypes.AwsRequestRejected,
              ]),
              ...callPriorityOptions(input.priority, 'cleanup'),
              summary: `wait until ${pid} is deleted`,
            },
            [{ packageId: pid }],
          );
        } catch (err) {
          deletion = 'failed';
          deletionError = errorSummary(err);
          keptBecause = deletionError.message;
        }
      }
    } else {
      deletion = 'kept';
      keptBecause = `still associated with ${remaining.length} domain(s): ${remaining
        .map((r) => r.domain)
        .slice(0, 10)
        .join(', ')}`;
    }
  }

  phase = 'done';
  report();
  const failed = count('failed');
  const result = finish(
    failed === 0 && !deletionError ? 'removed' : count('dissociated') > 0 ? 'partial' : 'failed',
    deletion,
    keptBecause,
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

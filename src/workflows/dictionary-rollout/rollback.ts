/**
 * The rollback policy: domains this run moved go back — to the previous content (republished as
 * a new version and re-associated) where they had an association before, or dissociated where
 * they had none — within the same concurrency bound.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import {
  commitMessageFor,
  describeWithMarker,
  stagedKey,
  type DomainOutcome,
} from '../../model/dictionary-rollout.js';
import { FailureTypes } from '../../model/failures.js';
import type { AssociationStatus, DissociationStatus } from '../../model/opensearch-packages.js';
import { errorSummary } from '../failures.js';
import { Patches } from '../patches.js';
import { slidingWindow } from '../sliding-window.js';
import {
  callOptions,
  domainWaitOptions,
  opensearchPackages,
  packageWaitOptions,
  staging,
} from './activities.js';
import { startAssociation, waitForAssociations } from './associate.js';
import type { PreviousContent, Published } from './publish.js';
import { callPriority } from './priority.js';
import type { DictionaryRolloutState } from './state.js';
import { verifyRestored } from './verify.js';

export async function rollback(state: DictionaryRolloutState, published: Published): Promise<void> {
  const moved = [...state.outcomes.values()].filter((o) => o.state === 'current' || o.state === 'failed');
  const toDissociate = moved.filter((o) => o.previousVersion === undefined);
  const toRestore = moved.filter((o) => o.previousVersion !== undefined);
  for (const o of moved) o.state = 'rolling-back';
  state.report();
  let restoreVersion: string | undefined;
  if (toRestore.length > 0) {
    const cannot = whyNotRestorable(published.previous, state.staged!.sha256);
    if (cannot) for (const o of toRestore) state.recordRollback(o, false, cannot(o));
    else {
      try {
        restoreVersion = await republishPrevious(state, published.packageId, published.previous!.sha256!);
        // The package's version is now the previous content's: what the domains go back to.
        state.targetVersion = restoreVersion;
      } catch (err) {
        const message = `could not republish the previous content: ${errorSummary(err).message}`;
        for (const o of toRestore) state.recordRollback(o, false, message);
      }
    }
  }
  if (patched(Patches.rollbackInOneWindow)) {
    // One after the other, so that at most maxConcurrency domains are in flight at any time.
    if (restoreVersion) await restoreDomains(state, published.packageId, toRestore, restoreVersion);
    await dissociateDomains(state, published.packageId, toDissociate);
  } else {
    // Runs started before the patch: both side by side, as they were scheduled then.
    await Promise.all([
      restoreVersion
        ? restoreDomains(state, published.packageId, toRestore, restoreVersion)
        : Promise.resolve(),
      dissociateDomains(state, published.packageId, toDissociate),
    ]);
  }
  if (restoreVersion && state.input.verification && patched(Patches.verifiedRollouts))
    await verifyRestored(state, published.packageId, toRestore);
}

/** Why the previous content cannot be put back (per domain), or undefined when it can. */
function whyNotRestorable(
  previous: PreviousContent | undefined,
  sha256: string,
): ((o: DomainOutcome) => string) | undefined {
  // This run did not change the package's content: the domains moved here from older versions,
  // and AWS can only associate a package's current version.
  if (previous?.sha256 === sha256)
    return (o) =>
      `was on ${o.previousVersion}; this run did not change the package content, and only the current version can be associated`;
  if (!previous?.sha256)
    return () =>
      'the previous content is unknown (the package was not published by package-rollouts), so it cannot be republished';
  return undefined;
}

/** Publishes the previous content again, from its staged object, as a new version; returns it. */
async function republishPrevious(
  state: DictionaryRolloutState,
  packageId: string,
  sha256: string,
): Promise<string> {
  const { input } = state;
  const key = stagedKey(input.staging.prefix, sha256, input.packageType);
  // If the staged object is gone (another staging prefix then, or a lifecycle rule since), say so
  // instead of making AWS copy from nothing into a COPY_FAILED version.
  const present = patched(Patches.rollbackChecksStagedObject)
    ? await staging.stagedObjectExists.executeWithOptions(
        {
          ...callOptions,
          ...callPriority(state),
          summary: `rollback: find previous content ${sha256.slice(0, 12)} in S3`,
        },
        [{ bucket: input.staging.bucket, key, sha256 }],
      )
    : true;
  if (!present)
    throw ApplicationFailure.nonRetryable(
      `its staged object s3://${input.staging.bucket}/${key} is not there any more (staged under another prefix, or deleted)`,
      FailureTypes.RollbackFailed,
    );
  await opensearchPackages.updatePackage.executeWithOptions(
    {
      ...callOptions,
      ...callPriority(state),
      summary: `republish previous content ${sha256.slice(0, 12)} of ${packageId}`,
    },
    [
      {
        packageId,
        description: describeWithMarker(input.description, sha256),
        commitMessage: `rollback ${commitMessageFor(sha256)}`.slice(0, 160),
        sha256,
        bucket: input.staging.bucket,
        key,
      },
    ],
  );
  const restored = await opensearchPackages.waitForPackageAvailable.executeWithOptions(
    {
      ...callPriority(state),
      ...packageWaitOptions(input.policy.pollIntervalSeconds),
      summary: `wait until ${packageId} is AVAILABLE (rollback)`,
    },
    [{ packageId, sha256, notVersion: state.targetVersion ?? '' }],
  );
  return restored.availableVersion!;
}

async function restoreDomains(
  state: DictionaryRolloutState,
  packageId: string,
  list: DomainOutcome[],
  version: string,
): Promise<void> {
  const { policy } = state.input;
  await slidingWindow<AssociationStatus>(
    list.map((o) => o.domain),
    {
      maxConcurrency: policy.maxConcurrency,
      deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
      start: (domain) =>
        startAssociation(
          packageId,
          domain,
          version,
          `rollback: associate ${packageId} ${version} -> ${domain}`,
          callPriority(state),
        ),
      poll: (watching) =>
        waitForAssociations(
          state,
          packageId,
          version,
          watching,
          `rollback: wait for ${watching.length} domain(s) at ${version}`,
        ),
      pollFailed: (domain, err) => ({ domain, outcome: 'failed', error: errorSummary(err) }),
      settled: (s) =>
        state.recordRollback(state.outcome(s.domain), s.outcome === 'current', s.error?.message, s.version),
    },
  );
}

async function dissociateDomains(
  state: DictionaryRolloutState,
  packageId: string,
  list: DomainOutcome[],
): Promise<void> {
  const { policy } = state.input;
  await slidingWindow<DissociationStatus>(
    list.map((o) => o.domain),
    {
      maxConcurrency: policy.maxConcurrency,
      deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
      start: async (domain) => {
        try {
          const r = await opensearchPackages.dissociatePackage.executeWithOptions(
            {
              ...callOptions,
              ...callPriority(state),
              summary: `rollback: dissociate ${packageId} from ${domain}`,
            },
            [{ packageId, domain }],
          );
          return r === 'already-dissociated' ? { domain, outcome: 'dissociated' } : 'watch';
        } catch (err) {
          return { domain, outcome: 'failed', error: errorSummary(err) };
        }
      },
      poll: (watching) =>
        opensearchPackages.waitForDissociations.executeWithOptions(
          {
            ...domainWaitOptions(policy.pollIntervalSeconds, watching),
            summary: `rollback: wait for ${watching.length} dissociation(s)`,
          },
          [{ packageId, watching }],
        ),
      pollFailed: (domain, err) => ({ domain, outcome: 'failed', error: errorSummary(err) }),
      settled: (s) =>
        state.recordRollback(state.outcome(s.domain), s.outcome === 'dissociated', s.error?.message),
    },
  );
}

/**
 * Verified rollouts: once a domain is ACTIVE at the target version, prove the new file is what
 * its search uses. Per domain: the data-plane endpoint (DescribeDomain, or the input's override),
 * cluster health, the indexes whose analyzers read the package's ReferencePath, a refresh of
 * their search analyzers, close/open of index-time uses when asked (else reported as needing a
 * reindex), the probes, cluster health again. A probe that gives other tokens, a red cluster or a
 * data plane that fails makes the domain failed, and the failure policy applies as to any failure.
 *
 * After a rollback, the domains put back on the previous content run again the probes that say
 * what the previous content gives (`previousTokens`): that is how "the previous content's probes"
 * are expressed, one input per probe for both contents.
 *
 * Every request is its own activity (one data-plane call each); results carry index names,
 * counts and probe tokens only, never documents.
 */
import { ApplicationFailure, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { Patches } from '../patches.js';
import type { createOpenSearchDataPlaneActivities } from '../../activities/opensearch-data-plane.js';
import type { createOpenSearchDomainActivities } from '../../activities/opensearch-domains.js';
import type { DomainOutcome } from '../../model/dictionary-rollout.js';
import { FailureTypes } from '../../model/failures.js';
import { referencePathOf } from '../../model/opensearch-packages.js';
import type { DomainVerification, ProbeInput, ProbeOutcome } from '../../model/verification.js';
import { errorSummary } from '../failures.js';
import { callOptions } from './activities.js';
import type { DictionaryRolloutState } from './state.js';
import { placeOf } from './fleet/place-run.js';

/** A data-plane request: an unreachable domain is retried `maxAttempts` times; refusals are final. */
function dataPlaneOptions(maxAttempts: number): ActivityOptions {
  return {
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: maxAttempts,
      nonRetryableErrorTypes: [
        FailureTypes.DataPlaneAccessDenied,
        FailureTypes.DataPlaneIndexNotFound,
        FailureTypes.DataPlaneRequestRejected,
        FailureTypes.AnalyzerRefreshFailed,
        FailureTypes.IndexReopenFailed,
      ],
    },
  };
}

const dataPlane = proxyActivities<ReturnType<typeof createOpenSearchDataPlaneActivities>>(
  dataPlaneOptions(8),
);
const domains = proxyActivities<ReturnType<typeof createOpenSearchDomainActivities>>(callOptions);

/** A probe to run and the tokens it must give on the content being checked. */
interface ProbeCheck {
  probe: ProbeInput;
  expected: string[];
}

/** Verifies the domains of a wave that reached the target version, at most maxConcurrency at once. */
export async function verifyWave(
  state: DictionaryRolloutState,
  packageId: string,
  wave: string[],
): Promise<void> {
  const verification = state.input.verification!;
  const canary = state.currentWave === 0 && state.waves.length > 1;
  const checks = verification.probes
    .filter((p) => p.on === 'every-domain' || canary)
    .map((probe) => ({ probe, expected: probe.expectedTokens }));
  const current = wave.map((d) => state.outcome(d)).filter((o) => o.state === 'current');
  await inBatches(state, current, async (o) => {
    const verdict = await verifyDomain(state, o, packageId, 'new', checks);
    o.verification = verdict.verification;
    if (verdict.error) {
      o.state = 'failed';
      o.error = verdict.error;
    }
  });
}

/** After a rollback: the domains put back on the previous content run its probes again. */
export async function verifyRestored(
  state: DictionaryRolloutState,
  packageId: string,
  restored: DomainOutcome[],
): Promise<void> {
  const checks = state.input
    .verification!.probes.filter((p) => p.previousTokens !== undefined)
    .map((probe) => ({ probe, expected: probe.previousTokens! }));
  const back = restored.filter((o) => o.state === 'rolled-back');
  await inBatches(state, back, async (o) => {
    const verdict = await verifyDomain(state, o, packageId, 'previous', checks);
    o.verification = verdict.verification;
    if (verdict.error) {
      o.state = 'rollback-failed';
      o.error = verdict.error;
    }
  });
}

async function inBatches(
  state: DictionaryRolloutState,
  list: DomainOutcome[],
  each: (o: DomainOutcome) => Promise<void>,
): Promise<void> {
  const size = state.input.policy.maxConcurrency;
  for (let i = 0; i < list.length; i += size) {
    await Promise.all(list.slice(i, i + size).map(each));
    state.report();
  }
}

/** One domain's checks, in order; the first failure ends them and says why. */
async function verifyDomain(
  state: DictionaryRolloutState,
  o: DomainOutcome,
  packageId: string,
  content: DomainVerification['content'],
  checks: ProbeCheck[],
): Promise<{ verification: DomainVerification; error?: DomainOutcome['error'] }> {
  const input = state.input.verification!;
  // A data-plane request ends by the client's own request timeout (30 s); 45 s bounds how long a
  // worker that died mid-request holds the domain (an index closed for a close/open refresh stays
  // closed until the retry). Runs started before the patch keep the 2 minutes they were recorded with.
  const options = {
    ...dataPlaneOptions(input.maxAttempts),
    ...(patched(Patches.dataPlaneTimeout) ? { startToCloseTimeout: '45 seconds' as const } : {}),
  };
  // Fleets: a placed domain is named by its target key, read at its place, and checked against
  // its place's package; plain names are their own key and use the run's package, as before.
  const domain = o.target ?? o.domain;
  const place = o.target ? state.targets.get(o.target)?.place : undefined;
  if (place) packageId = placeOf(state, domain).pkg?.packageId ?? packageId;
  const v: DomainVerification = {
    status: 'passed',
    content,
    endpoint: '',
    indexesRefreshed: [],
    indexesReopened: [],
    indexesNeedingReindex: [],
    probesPassed: 0,
    probesFailed: 0,
    failedProbes: [],
  };
  const step = <T>(summary: string, run: (o: ActivityOptions) => Promise<T>) =>
    run({ ...options, summary: `${summary} (${domain})` });
  try {
    const endpoint =
      input.endpoints[domain] ??
      (
        await domains.describeDomainEndpoint.executeWithOptions(
          { ...callOptions, summary: `find the endpoint of ${domain}` },
          [{ domain: o.domain, ...(place ? { place } : {}) }],
        )
      ).endpoint;
    v.endpoint = endpoint.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    // A placed domain's data plane is signed for its own Region and, in another account, with its
    // place's assumed role (the place goes with the request; no credential does).
    const target = {
      endpoint,
      ...(place ? { region: place.region } : {}),
      ...(place?.roleArn ? { place } : {}),
    };
    const health = async (when: string) => {
      if (!input.clusterHealth) return;
      const h = await step(`cluster health ${when}`, (opt) =>
        dataPlane.clusterHealth.executeWithOptions(opt, [target]),
      );
      v.clusterHealth = h.status;
      if (h.status === 'red')
        throw ApplicationFailure.nonRetryable(
          `${domain}: cluster health is red ${when} the refresh${h.waitedMs !== undefined ? ` and stayed red for ${h.waitedMs / 1000} s` : ''} (${h.unassignedShards} unassigned shard(s)${h.initializingShards ? `, ${h.initializingShards} initializing` : ''})`,
          FailureTypes.VerificationFailed,
        );
    };
    await health('before');
    const referencePath = o.referencePath ?? referencePathOf(packageId);
    const found = await step(`find indexes reading ${referencePath}`, (opt) =>
      dataPlane.findIndexesUsingFile.executeWithOptions(opt, [
        { ...target, referencePath, ...(input.indexPattern ? { indexPattern: input.indexPattern } : {}) },
      ]),
    );
    if (found.searchTime.length > 0) {
      const refreshed = await step(
        `refresh search analyzers of ${found.searchTime.length} index(es)`,
        (opt) =>
          dataPlane.refreshSearchAnalyzers.executeWithOptions(opt, [
            { ...target, indexes: found.searchTime },
          ]),
      );
      v.indexesRefreshed = refreshed.refreshed.map((r) => r.index);
    }
    for (const index of found.indexTime) {
      if (input.indexTimeUses !== 'close-open') {
        v.indexesNeedingReindex.push(index);
        continue;
      }
      // The index is unavailable between these two calls (documented in docs/verified-rollouts.md).
      await step(`close ${index}`, (opt) =>
        dataPlane.closeIndex.executeWithOptions(opt, [{ ...target, index }]),
      );
      await step(`open ${index}`, (opt) =>
        dataPlane.openIndex.executeWithOptions(opt, [{ ...target, index }]),
      );
      v.indexesReopened.push(index);
    }
    for (const { probe, expected } of checks) {
      const { tokens } = await step(`probe ${probe.index}`, (opt) =>
        dataPlane.analyzeProbe.executeWithOptions(opt, [
          {
            ...target,
            index: probe.index,
            text: probe.text,
            ...(probe.analyzer ? { analyzer: probe.analyzer } : {}),
            ...(probe.field ? { field: probe.field } : {}),
          },
        ]),
      );
      const passed = tokens.length === expected.length && tokens.every((t, i) => t === expected[i]);
      if (passed) v.probesPassed++;
      else {
        v.probesFailed++;
        v.failedProbes.push({
          index: probe.index,
          text: probe.text,
          passed,
          expectedTokens: expected,
          actualTokens: tokens,
        });
      }
    }
    await health('after');
    if (v.failedProbes.length > 0) {
      v.status = 'failed';
      return {
        verification: v,
        error: {
          type: FailureTypes.VerificationFailed,
          message: probeMessage(domain, content, v.failedProbes),
        },
      };
    }
    return { verification: v };
  } catch (err) {
    v.status = 'failed';
    const error = errorSummary(err);
    return {
      verification: v,
      error: { ...error, message: `${domain}: verification failed: ${error.message}` },
    };
  }
}

function probeMessage(domain: string, content: string, failed: ProbeOutcome[]): string {
  const list = failed
    .slice(0, 3)
    .map(
      (p) =>
        `_analyze on ${p.index} of "${p.text}": expected [${p.expectedTokens.join(', ')}], got [${p.actualTokens.join(', ')}]`,
    )
    .join('; ');
  return `${domain}: ${failed.length} probe(s) failed on the ${content} content: ${list}`;
}

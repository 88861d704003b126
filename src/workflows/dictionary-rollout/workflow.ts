import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createOpenSearchPackageActivities } from '../../activities/opensearch-packages.js';
import type { createS3Activities, StagedObject } from '../../activities/s3.js';
import {
  commitMessageFor,
  describeWithMarker,
  dictionaryRolloutInput,
  DictionaryRolloutMessages,
  planWaves,
  stagedKey,
  type DictionaryRolloutParams,
  type DictionaryRolloutPlan,
  type DomainError,
  type DictionaryRolloutProgress,
  type DictionaryRolloutResult,
  type DomainOutcome,
  type RolloutOutcome,
  type RolloutPhase,
} from '../../model/dictionary-rollout.js';
import { FailureTypes } from '../../model/failures.js';
import { referencePathOf, type PackageSummary } from '../../model/opensearch-packages.js';
import { RolloutTargetVersion, type RolloutStatusValue } from '../../model/search-attributes.js';
import {
  awsCallOptions,
  errorSummary,
  latestDeadline,
  parseWorkflowInput,
  pollingOptions,
  publishStatus,
  surfaceActivityFailure,
} from '../failures.js';
import { Patches } from '../patches.js';
import { slidingWindow } from '../sliding-window.js';

/** `wave`: approve up to this wave (1-based index of the next wave); default the next one. */
export interface ApproveArgs {
  wave?: number;
}

type PackageActivities = ReturnType<typeof createOpenSearchPackageActivities>;
type S3Activities = ReturnType<typeof createS3Activities>;

export const progressQuery = defineQuery<DictionaryRolloutProgress>(DictionaryRolloutMessages.progress);
/** The plan once known: target version, waves (domains to associate) and domains skipped as current. */
export const planQuery = defineQuery<DictionaryRolloutPlan>(DictionaryRolloutMessages.plan);
/** Approve the next wave (when the policy asks for approval between waves). Returns the approved wave number. */
export const approveUpdate = defineUpdate<number, [ApproveArgs]>(DictionaryRolloutMessages.approve);
export const pauseUpdate = defineUpdate<void>(DictionaryRolloutMessages.pause);
export const resumeUpdate = defineUpdate<void>(DictionaryRolloutMessages.resume);
/** Fire-and-forget twins of the updates, for callers that cannot wait for an answer. */
export const approveSignal = defineSignal<[ApproveArgs]>(DictionaryRolloutMessages.approve);
export const pauseSignal = defineSignal(DictionaryRolloutMessages.pause);
export const resumeSignal = defineSignal(DictionaryRolloutMessages.resume);

const callOptions = awsCallOptions([
  FailureTypes.InvalidSource,
  FailureTypes.AwsRequestRejected,
  FailureTypes.AssociationFailed,
  FailureTypes.PackageInUse,
  FailureTypes.DissociationFailed,
]);

/** Waits end for good on a failed package or a request AWS refused. */
const pollOptions = (pollIntervalSeconds: number, timeoutMs: number) =>
  pollingOptions(pollIntervalSeconds, timeoutMs, [
    FailureTypes.PackageCopyFailed,
    FailureTypes.PackageValidationFailed,
    FailureTypes.AwsRequestRejected,
  ]);

const s3 = proxyActivities<S3Activities>({ ...callOptions, startToCloseTimeout: '5 minutes' });
const os = proxyActivities<PackageActivities>(callOptions);

/**
 * Rolls a dictionary (synonyms, stopwords, ...) out to OpenSearch domains: stage the file in S3,
 * create or update the package, wait until AVAILABLE, then associate it domain by domain, in
 * waves with bounded concurrency, until each domain is ACTIVE at the new version.
 */
export async function dictionaryRollout(rawInput: unknown): Promise<DictionaryRolloutResult> {
  const startedAt = Date.now();
  const input: DictionaryRolloutParams = parseWorkflowInput(
    dictionaryRolloutInput,
    rawInput,
    'dictionaryRollout input',
  );
  const policy = input.policy;

  // ---- state visible through the progress query ----------------------------------------
  let phase: RolloutPhase = 'staging';
  let paused = false;
  /** Waves are numbered from 1 for people; wave 1 never waits, so it starts approved. */
  let approvedThrough = 1;
  let awaitingApproval = false;
  let currentWave = 0;
  let waves: string[][] = [];
  let pkg: PackageSummary | undefined;
  let targetVersion: string | undefined;
  let staged: StagedObject | undefined;
  const outcomes = new Map<string, DomainOutcome>(
    input.domains.map((d) => [d, { domain: d, state: 'pending', wave: -1 }]),
  );

  // Cancellation is graceful: the work below runs in a non-cancellable scope and watches this flag,
  // so a cancel starts nothing new, lets in-flight domains finish, then applies the failure policy.
  let cancelRequested = false;
  CancellationScope.current().cancelRequested.catch(() => {
    cancelRequested = true;
  });

  const progress = (): DictionaryRolloutProgress => ({
    phase,
    packageName: input.packageName,
    packageId: pkg?.packageId,
    targetVersion,
    contentSha256: staged?.sha256,
    waves,
    currentWave,
    paused,
    awaitingApproval,
    domains: [...outcomes.values()],
  });
  setHandler(progressQuery, progress);
  setHandler(planQuery, () => ({
    packageId: pkg?.packageId,
    targetVersion,
    waves,
    skipped: [...outcomes.values()].filter((o) => o.state === 'skipped').map((o) => o.domain),
  }));
  const approve = (arg?: ApproveArgs) => {
    approvedThrough = Math.max(approvedThrough, arg?.wave ?? currentWave + 1);
    return approvedThrough;
  };
  /** Why an approval is refused, or undefined: the update's validator and the signal share it. */
  const approvalProblem = (arg?: ApproveArgs): string | undefined => {
    if (!policy.approvalBetweenWaves) return 'this rollout does not wait for approval between waves';
    if (arg?.wave !== undefined && (!Number.isInteger(arg.wave) || arg.wave < 1))
      return 'wave must be a whole number >= 1';
    return undefined;
  };
  setHandler(approveUpdate, approve, {
    validator: (arg) => {
      const problem = approvalProblem(arg);
      // Validators reject with a plain Error: the update is refused, the run is untouched.
      if (problem) throw new Error(problem);
    },
  });
  // A signal cannot be refused: a bad one is logged and ignored, so that e.g. a wave of "2" (a
  // string from another SDK) cannot poison approvedThrough with NaN and hold the gate for ever.
  setHandler(approveSignal, (arg) => {
    const problem = approvalProblem(arg);
    if (problem) log.warn(`approve signal ignored: ${problem}`, { arg });
    else approve(arg);
  });
  const setPaused = (value: boolean) => {
    paused = value;
    report();
  };
  setHandler(pauseUpdate, () => setPaused(true));
  setHandler(resumeUpdate, () => setPaused(false));
  setHandler(pauseSignal, () => setPaused(true));
  setHandler(resumeSignal, () => setPaused(false));

  const count = (...states: DomainOutcome['state'][]) =>
    [...outcomes.values()].filter((o) => states.includes(o.state)).length;
  function report(status?: RolloutStatusValue): void {
    const failed = count('failed', 'rollback-failed');
    setCurrentDetails(
      [
        `**${phase}**${paused ? ' (paused)' : ''}${awaitingApproval ? ` — waiting for approval of wave ${currentWave + 1}` : ''}`,
        '',
        `package \`${input.packageName}\`${pkg ? ` ${pkg.packageId}` : ''}${targetVersion ? ` → **${targetVersion}**` : ''}`,
        '',
        '| current | skipped | associating | failed | pending | rolled back |',
        '|---|---|---|---|---|---|',
        `| ${count('current')} | ${count('skipped')} | ${count('associating')} | ${failed} | ${count('pending', 'not-started')} | ${count('rolled-back')} |`,
        waves.length ? `\nwave ${Math.min(currentWave + 1, waves.length)} of ${waves.length}` : '',
      ].join('\n'),
    );
    if (status) publishStatus(status, failed);
    else if (paused) publishStatus('paused', failed);
    else if (awaitingApproval) publishStatus('waiting-for-approval', failed);
    else publishStatus('running', failed);
  }
  report('running');

  const result = (
    outcome: RolloutOutcome,
    packageChange: DictionaryRolloutResult['packageChange'],
  ): DictionaryRolloutResult => ({
    outcome,
    packageName: input.packageName,
    packageId: pkg?.packageId ?? '',
    targetVersion: targetVersion ?? '',
    // AWS's own ReferencePath where a domain reported one; the documented form otherwise.
    referencePath:
      [...outcomes.values()].find((o) => o.referencePath)?.referencePath ??
      (pkg ? referencePathOf(pkg.packageId) : ''),
    contentSha256: staged?.sha256 ?? '',
    packageChange,
    stagedObject: staged
      ? { bucket: staged.bucket, key: staged.key, sizeBytes: staged.sizeBytes }
      : { bucket: '', key: '', sizeBytes: 0 },
    waves: waves.length,
    counts: {
      current: count('current'),
      skipped: count('skipped'),
      failed: count('failed', 'rollback-failed'),
      notStarted: count('not-started', 'pending'),
      rolledBack: count('rolled-back'),
    },
    domains: [...outcomes.values()],
    startedAt,
    finishedAt: Date.now(),
    notes: [
      `Indexes read a new dictionary version only after POST <index>/_plugins/_refresh_search_analyzers (updateable analyzers, OpenSearch / Elasticsearch >= 7.8) or a close and reopen of the index.`,
    ],
  });

  return CancellationScope.nonCancellable(async () => {
    // ---- 1. stage --------------------------------------------------------------------------
    staged = await s3.stageDictionary.executeWithOptions(
      {
        ...callOptions,
        startToCloseTimeout: '5 minutes',
        summary: `stage ${input.packageName} in s3://${input.staging.bucket}`,
      },
      [{ source: input.source, staging: input.staging, packageType: input.packageType }],
    );
    const sha = staged.sha256;
    const description = describeWithMarker(input.description, sha);

    // ---- 2. package: create, update or leave as it is -------------------------------------
    phase = 'packaging';
    report();
    let packageChange: DictionaryRolloutResult['packageChange'] = 'unchanged';
    const before = await os.findPackageByName.executeWithOptions(
      { ...callOptions, summary: `find package ${input.packageName}` },
      [{ packageName: input.packageName }],
    );
    const previous = before ? { version: before.availableVersion, sha256: before.contentSha256 } : undefined;
    pkg = before ?? undefined;
    if (!pkg) {
      pkg = await os.createPackage.executeWithOptions(
        { ...callOptions, summary: `create package ${input.packageName}` },
        [
          {
            packageName: input.packageName,
            packageType: input.packageType,
            description,
            bucket: staged.bucket,
            key: staged.key,
          },
        ],
      );
      packageChange = 'created';
    }
    /** Set when this run sent UpdatePackage: the wait then insists on a version past this one. */
    let versionBeforeUpdate: string | undefined;
    if (pkg.contentSha256 !== sha || pkg.status === 'VALIDATION_FAILED' || pkg.status === 'COPY_FAILED') {
      const packageId = pkg.packageId;
      versionBeforeUpdate = pkg.availableVersion ?? '';
      pkg = await os.updatePackage.executeWithOptions(
        { ...callOptions, summary: `update package ${packageId} to ${sha.slice(0, 12)}` },
        [
          {
            packageId,
            description,
            commitMessage: commitMessageFor(sha),
            sha256: sha,
            bucket: staged.bucket,
            key: staged.key,
          },
        ],
      );
      if (packageChange !== 'created') packageChange = 'updated';
    }

    // ---- 3. wait until AVAILABLE (polled by activity retry: history stays flat) ------------
    phase = 'waiting-for-package';
    report();
    const packageId = pkg.packageId;
    pkg = await os.waitForPackageAvailable.executeWithOptions(
      {
        ...pollOptions(Math.min(policy.pollIntervalSeconds, 10), 2 * 3600_000),
        summary: `wait until ${packageId} is AVAILABLE`,
      },
      [
        {
          packageId,
          sha256: sha,
          ...(versionBeforeUpdate !== undefined ? { notVersion: versionBeforeUpdate } : {}),
        },
      ],
    );
    targetVersion = pkg.availableVersion!;
    upsertSearchAttributes([{ key: RolloutTargetVersion, value: targetVersion }]);

    // ---- 4. plan ----------------------------------------------------------------------------
    phase = 'planning';
    const rows = new Map(
      (
        await os.listDomainsForPackage.executeWithOptions(
          { ...callOptions, summary: `read domains of ${packageId}` },
          [{ packageId }],
        )
      ).map((r) => [r.domain, r]),
    );
    const todo: string[] = [];
    for (const domain of input.domains) {
      const o = outcomes.get(domain)!;
      const r = rows.get(domain);
      o.previousVersion = r?.version;
      o.version = r?.version;
      if (r?.status === 'ACTIVE' && r.version === targetVersion) {
        o.state = 'skipped';
        if (r.referencePath) o.referencePath = r.referencePath;
      } else todo.push(domain);
    }
    waves = planWaves(
      todo,
      policy.waves.strategy === 'explicit'
        ? {
            ...policy.waves,
            waves: policy.waves.waves
              .map((w) => w.filter((d) => todo.includes(d)))
              .filter((w) => w.length > 0),
          }
        : policy.waves,
    );
    waves.forEach((wave, w) => wave.forEach((d) => (outcomes.get(d)!.wave = w)));
    report();
    if (input.dryRun) {
      for (const o of outcomes.values()) if (o.state === 'pending') o.state = 'not-started';
      phase = 'done';
      report('succeeded');
      return result('dry-run', packageChange);
    }

    // ---- 5. associate, wave by wave, a sliding window of at most maxConcurrency -----------
    phase = 'associating';
    let stopStarting = false;
    for (currentWave = 0; currentWave < waves.length && !stopStarting && !cancelRequested; currentWave++) {
      if (currentWave > 0) {
        if (policy.pauseBetweenWavesSeconds > 0) {
          phase = 'pausing-between-waves';
          report();
          await Promise.race([
            sleep(policy.pauseBetweenWavesSeconds * 1000, {
              summary: `pause before wave ${currentWave + 1} of ${waves.length}`,
            }),
            condition(() => cancelRequested),
          ]);
        }
        if (policy.approvalBetweenWaves) {
          awaitingApproval = true;
          phase = 'waiting-for-approval';
          report();
          await condition(() => approvedThrough >= currentWave + 1 || cancelRequested);
          awaitingApproval = false;
        }
      }
      if (paused) {
        phase = 'paused';
        report();
        await condition(() => !paused || cancelRequested);
      }
      if (cancelRequested) break;
      phase = 'associating';
      report();
      const failedBefore = count('failed');
      await runWave(waves[currentWave]!);
      if (count('failed') > failedBefore && policy.failurePolicy !== 'continue') stopStarting = true;
    }
    currentWave = Math.min(currentWave, waves.length - 1);
    for (const o of outcomes.values()) if (o.state === 'pending') o.state = 'not-started';

    // ---- 6. failure policy --------------------------------------------------------------
    const failed = count('failed');
    if (policy.failurePolicy === 'rollback' && (failed > 0 || cancelRequested)) {
      phase = 'rolling-back';
      report();
      await rollback(previous);
    }

    phase = 'done';
    const outcome: RolloutOutcome = cancelRequested
      ? 'cancelled'
      : count('rolled-back', 'rollback-failed') > 0
        ? 'rolled-back'
        : failed > 0
          ? count('current') + count('skipped') > 0
            ? 'partial'
            : 'failed'
          : packageChange === 'unchanged' && count('current') === 0
            ? 'unchanged'
            : 'succeeded';
    const final = result(outcome, packageChange);
    report(outcome);
    if (outcome === 'cancelled')
      throw ApplicationFailure.create({
        message: `rollout cancelled: ${final.counts.current} domain(s) current, ${final.counts.notStarted} not started`,
        type: FailureTypes.RolloutCancelled,
        nonRetryable: true,
        details: [final],
      });
    if (['failed', 'partial', 'rolled-back'].includes(outcome)) {
      throw ApplicationFailure.create({
        message:
          outcome === 'rolled-back'
            ? `${failed} of ${input.domains.length} domain(s) failed; rolled back: ${final.counts.rolledBack} domain(s) put back, ${final.counts.failed} could not be (rollback policy)`
            : `${final.counts.failed} of ${input.domains.length} domain(s) failed; rollout ${outcome} (${policy.failurePolicy} policy)`,
        type: FailureTypes.RolloutFailed,
        nonRetryable: true,
        details: [final],
      });
    }
    return final;

    // ---- helpers (closures over the state above) ------------------------------------------
    type Settled = {
      state: 'current' | 'failed';
      version?: string;
      referencePath?: string;
      error?: DomainError;
    };

    async function runWave(domains: string[]): Promise<void> {
      const notStarted = await slidingWindow<Settled>(domains, {
        maxConcurrency: policy.maxConcurrency,
        deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
        // halt and rollback: the first failure stops new starts at once, in this wave too.
        stop: () => cancelRequested || (policy.failurePolicy !== 'continue' && count('failed') > 0),
        held: () => paused,
        start: async (domain) => {
          const o = outcomes.get(domain)!;
          o.state = 'associating';
          o.startedAt = Date.now();
          try {
            const r = await os.associatePackage.executeWithOptions(
              { ...callOptions, summary: `associate ${packageId} ${targetVersion} -> ${domain}` },
              [{ packageId, domain }],
            );
            return r === 'already-current' ? { state: 'current', version: targetVersion } : 'watch';
          } catch (err) {
            return { state: 'failed', version: o.version, error: errorSummary(err) };
          }
        },
        poll: async (watching) =>
          (
            await os.waitForAssociations.executeWithOptions(
              {
                ...pollOptions(policy.pollIntervalSeconds, latestDeadline(watching)),
                summary: `wait for ${watching.length} domain(s) to be ACTIVE at ${targetVersion}`,
              },
              [{ packageId, targetVersion: targetVersion!, watching }],
            )
          ).map((s) => ({
            domain: s.domain,
            value: {
              state: s.outcome === 'current' ? 'current' : 'failed',
              version: s.version,
              referencePath: s.referencePath,
              error: s.error,
            },
          })),
        pollFailed: (_domain, err) => ({ state: 'failed', error: errorSummary(err) }),
        settled: (domain, v) => settle(domain, v.state, v.version, v.error, v.referencePath),
        afterRound: () => report(),
      });
      for (const domain of notStarted) outcomes.get(domain)!.state = 'not-started';
    }
    function settle(
      domain: string,
      state: 'current' | 'failed',
      version: string | undefined,
      error?: DomainError,
      referencePath?: string,
    ) {
      const o = outcomes.get(domain)!;
      o.state = state;
      o.version = version;
      if (referencePath) o.referencePath = referencePath;
      o.finishedAt = Date.now();
      if (error) o.error = error;
      else delete o.error;
    }

    /**
     * Domains this run moved go back: to the previous content (republished as a new version and
     * re-associated) where they had an association before, or dissociated where they had none.
     */
    async function rollback(prev: { version?: string; sha256?: string } | undefined): Promise<void> {
      const moved = [...outcomes.values()].filter((o) => o.state === 'current' || o.state === 'failed');
      const toDissociate = moved.filter((o) => o.previousVersion === undefined);
      const toRestore = moved.filter((o) => o.previousVersion !== undefined);
      for (const o of moved) o.state = 'rolling-back';
      report();
      let restoreVersion: string | undefined;
      if (toRestore.length > 0) {
        if (prev?.sha256 === sha) {
          // This run did not change the package's content: the domains moved here from older
          // versions, and AWS can only associate a package's current version.
          for (const o of toRestore)
            markRollback(
              o,
              false,
              `was on ${o.previousVersion}; this run did not change the package content, and only the current version can be associated`,
            );
        } else if (!prev?.sha256) {
          for (const o of toRestore)
            markRollback(
              o,
              false,
              'the previous content is unknown (the package was not published by package-rollouts), so it cannot be republished',
            );
        } else {
          const prevKey = stagedKey(input.staging.prefix, prev.sha256, input.packageType);
          try {
            // The previous content is republished from its staged object; if that is gone (another
            // staging prefix then, or a lifecycle rule since), say so instead of making AWS copy
            // from nothing into a COPY_FAILED version.
            const present = patched(Patches.rollbackChecksStagedObject)
              ? await s3.stagedObjectExists.executeWithOptions(
                  {
                    ...callOptions,
                    summary: `rollback: find previous content ${prev.sha256.slice(0, 12)} in S3`,
                  },
                  [{ bucket: input.staging.bucket, key: prevKey, sha256: prev.sha256 }],
                )
              : true;
            if (!present)
              throw ApplicationFailure.nonRetryable(
                `its staged object s3://${input.staging.bucket}/${prevKey} is not there any more (staged under another prefix, or deleted)`,
                FailureTypes.RollbackFailed,
              );
            await os.updatePackage.executeWithOptions(
              {
                ...callOptions,
                summary: `republish previous content ${prev.sha256.slice(0, 12)} of ${packageId}`,
              },
              [
                {
                  packageId,
                  description: describeWithMarker(input.description, prev.sha256),
                  commitMessage: `rollback ${commitMessageFor(prev.sha256)}`.slice(0, 160),
                  sha256: prev.sha256,
                  bucket: input.staging.bucket,
                  key: prevKey,
                },
              ],
            );
            const restored = await os.waitForPackageAvailable.executeWithOptions(
              {
                ...pollOptions(Math.min(policy.pollIntervalSeconds, 10), 2 * 3600_000),
                summary: `wait until ${packageId} is AVAILABLE (rollback)`,
              },
              [{ packageId, sha256: prev.sha256, notVersion: targetVersion ?? '' }],
            );
            restoreVersion = restored.availableVersion!;
            targetVersion = restoreVersion;
          } catch (err) {
            for (const o of toRestore)
              markRollback(
                o,
                false,
                `could not republish the previous content: ${errorSummary(err).message}`,
              );
          }
        }
      }
      if (patched(Patches.rollbackInOneWindow)) {
        // One after the other, so that at most maxConcurrency domains are in flight at any time.
        if (restoreVersion) await restoreDomains(toRestore, restoreVersion);
        await dissociateDomains(toDissociate);
      } else {
        // Runs started before the patch: both side by side, as they were scheduled then.
        await Promise.all([
          restoreVersion ? restoreDomains(toRestore, restoreVersion) : Promise.resolve(),
          dissociateDomains(toDissociate),
        ]);
      }
    }

    async function restoreDomains(list: DomainOutcome[], version: string): Promise<void> {
      await slidingWindow<{ ok: boolean; version?: string; message?: string }>(
        list.map((o) => o.domain),
        {
          maxConcurrency: policy.maxConcurrency,
          deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
          start: async (domain) => {
            try {
              const r = await os.associatePackage.executeWithOptions(
                { ...callOptions, summary: `rollback: associate ${packageId} ${version} -> ${domain}` },
                [{ packageId, domain }],
              );
              return r === 'already-current' ? { ok: true, version } : 'watch';
            } catch (err) {
              return { ok: false, message: errorSummary(err).message };
            }
          },
          poll: async (watching) =>
            (
              await os.waitForAssociations.executeWithOptions(
                {
                  ...pollOptions(policy.pollIntervalSeconds, latestDeadline(watching)),
                  summary: `rollback: wait for ${watching.length} domain(s) at ${version}`,
                },
                [{ packageId, targetVersion: version, watching }],
              )
            ).map((s) => ({
              domain: s.domain,
              value: { ok: s.outcome === 'current', version: s.version, message: s.error?.message },
            })),
          pollFailed: (_domain, err) => ({ ok: false, message: errorSummary(err).message }),
          settled: (domain, v) => markRollback(outcomes.get(domain)!, v.ok, v.message, v.version),
        },
      );
    }

    async function dissociateDomains(list: DomainOutcome[]): Promise<void> {
      await slidingWindow<{ ok: boolean; message?: string }>(
        list.map((o) => o.domain),
        {
          maxConcurrency: policy.maxConcurrency,
          deadlineFor: () => Date.now() + policy.associationDeadlineSeconds * 1000,
          start: async (domain) => {
            try {
              const r = await os.dissociatePackage.executeWithOptions(
                { ...callOptions, summary: `rollback: dissociate ${packageId} from ${domain}` },
                [{ packageId, domain }],
              );
              return r === 'already-dissociated' ? { ok: true } : 'watch';
            } catch (err) {
              return { ok: false, message: errorSummary(err).message };
            }
          },
          poll: async (watching) =>
            (
              await os.waitForDissociations.executeWithOptions(
                {
                  ...pollOptions(policy.pollIntervalSeconds, latestDeadline(watching)),
                  summary: `rollback: wait for ${watching.length} dissociation(s)`,
                },
                [{ packageId, watching }],
              )
            ).map((s) => ({
              domain: s.domain,
              value: { ok: s.outcome === 'dissociated', message: s.error?.message },
            })),
          pollFailed: (_domain, err) => ({ ok: false, message: errorSummary(err).message }),
          settled: (domain, v) => markRollback(outcomes.get(domain)!, v.ok, v.message),
        },
      );
    }
    function markRollback(o: DomainOutcome, ok: boolean, message?: string, version?: string) {
      o.state = ok ? 'rolled-back' : 'rollback-failed';
      o.version = ok ? version : o.version;
      o.finishedAt = Date.now();
      if (!ok) o.error = { type: FailureTypes.RollbackFailed, message: message ?? 'rollback failed' };
      report();
    }
  }).catch((err: unknown) => {
    // Failures that carry a result already published their status; anything else is a plain failure.
    const published: string[] = [FailureTypes.RolloutFailed, FailureTypes.RolloutCancelled];
    if (!(err instanceof ApplicationFailure && published.includes(err.type ?? ''))) publishStatus('failed');
    throw surfaceActivityFailure(err);
  });
}

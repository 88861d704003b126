/**
 * A plugin rollout: a ZIP-PLUGIN (with its PACKAGE-LICENSE / PACKAGE-CONFIG) installed on, or
 * removed from, domains. Every domain is checked first (engine version, no configuration change
 * in progress) — a refusal there ends the run before anything is created. Then the packages are
 * staged and created or updated (the content marker in the description detects unchanged
 * content), and each domain gets the whole bundle in one AssociatePackages call (the license and
 * the configuration name the plugin as prerequisite), which starts a blue/green deployment: the
 * wait follows it through DescribeDomain / DescribeDomainChangeProgress, a few domains at a time.
 *
 * Just over 400 lines on purpose: one run is one sequence (check the domains, publish the bundle,
 * deploy domain by domain) over one outcomes map, and reads best in the order it runs. When it
 * gains steps (health gates, verification), make it a folder as dictionary-rollout/ is.
 */
import {
  ApplicationFailure,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type {
  createOpenSearchPluginActivities,
  DeploymentStatus,
  DeploymentWatch,
} from '../activities/opensearch-plugins.js';
import type { createOpenSearchPackageActivities } from '../activities/opensearch-packages.js';
import type { createS3Activities } from '../activities/s3.js';
import { commitMessageFor, describeWithMarker } from '../model/dictionary-rollout.js';
import { FailureTypes } from '../model/failures.js';
import {
  BUNDLE_PACKAGE_TYPES,
  pluginRolloutInput,
  type BundlePackageOutcome,
  type BundleRole,
  type PluginDomainOutcome,
  type PluginRolloutParams,
  type PluginRolloutProgress,
  type PluginRolloutResult,
} from '../model/plugin-rollout.js';
import { awsCallOptions, latestDeadline, pollingOptions } from './activity-options.js';
import { errorSummary, parseWorkflowInput, surfaceActivityFailure } from './failures.js';
import { pluginRolloutMessages } from './messages.js';
import { Patches } from './patches.js';
import { publishIdentity, publishStatus } from './search-attributes.js';
import { WorkflowTypes } from '../model/constants.js';
import { slidingWindow } from './sliding-window.js';

const callOptions = awsCallOptions([
  FailureTypes.InvalidSource,
  FailureTypes.AwsRequestRejected,
  FailureTypes.AssociationFailed,
  FailureTypes.DissociationFailed,
]);
const plugins = proxyActivities<ReturnType<typeof createOpenSearchPluginActivities>>(callOptions);
const packages = proxyActivities<ReturnType<typeof createOpenSearchPackageActivities>>(callOptions);
const staging = proxyActivities<ReturnType<typeof createS3Activities>>({
  ...callOptions,
  startToCloseTimeout: '5 minutes',
});

const ROLES: BundleRole[] = ['plugin', 'license', 'config'];

export async function pluginRollout(rawInput: unknown): Promise<PluginRolloutResult> {
  return rollOutPlugin(rawInput).catch((err: unknown) => {
    if (!(err instanceof ApplicationFailure && err.type === FailureTypes.RolloutFailed))
      publishStatus('failed');
    throw surfaceActivityFailure(err);
  });
}

async function rollOutPlugin(rawInput: unknown): Promise<PluginRolloutResult> {
  const startedAt = Date.now();
  const input = parseWorkflowInput(pluginRolloutInput, rawInput, 'pluginRollout input');
  publishIdentity(WorkflowTypes.pluginRollout, input);
  const removing = input.action === 'remove';
  let phase: PluginRolloutProgress['phase'] = 'checking-domains';
  const bundle: BundlePackageOutcome[] = ROLES.filter((r) => input.bundle[r]).map((role) => ({
    role,
    packageName: input.bundle[role]!.packageName,
    packageType: BUNDLE_PACKAGE_TYPES[role],
  }));
  const outcomes = new Map<string, PluginDomainOutcome>(
    input.domains.map((domain) => [domain, { domain, state: 'pending' }]),
  );
  setHandler(pluginRolloutMessages.progress, () => ({
    action: input.action,
    phase,
    ...(input.engineVersion ? { engineVersion: input.engineVersion } : {}),
    packages: bundle,
    domains: [...outcomes.values()],
  }));
  publishStatus('running');
  const count = (...states: PluginDomainOutcome['state'][]) =>
    [...outcomes.values()].filter((o) => states.includes(o.state)).length;
  const report = () =>
    setCurrentDetails(
      `**${phase}** ${input.action} ${input.bundle.plugin.packageName}\n\n| done | blue/green | failed | pending |\n|---|---|---|---|\n` +
        `| ${count('current', 'removed', 'skipped')} | ${count('blue-green', 'associating', 'dissociating')} | ${count('failed')} | ${count('pending')} |`,
    );

  // ---- pre-flight: every domain, before anything is created or changed ----------------------
  report();
  await preflight(input, outcomes);

  // ---- the packages ---------------------------------------------------------------------------
  if (!removing) {
    phase = 'staging';
    report();
    await publishBundle(input, bundle, () => {
      phase = phase === 'staging' ? 'packaging' : 'waiting-for-packages';
      report();
    });
  } else {
    for (const b of bundle) {
      const found = await plugins.findPluginPackage.executeWithOptions(
        { ...callOptions, summary: `find package ${b.packageName}` },
        [{ packageName: b.packageName }],
      );
      if (found) b.packageId = found.packageId;
      else b.change = 'not-found';
    }
  }

  // ---- deploy: a few domains at a time, each one blue/green deployment -------------------------
  phase = 'deploying';
  const todo: string[] = [];
  for (const domain of input.domains) {
    const rows = new Map(
      (
        await plugins.listDomainPackageRows.executeWithOptions(
          { ...callOptions, summary: `read the packages of ${domain}` },
          [{ domain }],
        )
      ).map((r) => [r.packageId, r]),
    );
    const present = bundle.filter((b) => b.packageId && rows.has(b.packageId));
    const upToDate = bundle.every((b) => {
      const r = b.packageId ? rows.get(b.packageId) : undefined;
      return r?.status === 'ACTIVE' && r.version === b.version;
    });
    if (removing ? present.length === 0 : upToDate) outcomes.get(domain)!.state = 'skipped';
    else todo.push(domain);
  }
  report();
  const targets = () =>
    removing
      ? bundle.filter((b) => b.packageId).map((b) => ({ packageId: b.packageId! }))
      : bundle.map((b) => ({ packageId: b.packageId!, ...(b.version ? { version: b.version } : {}) }));
  const seen = new Map<string, string>();
  await slidingWindow<DeploymentStatus>(todo, {
    maxConcurrency: input.maxConcurrency,
    deadlineFor: () => Date.now() + input.deploymentDeadlineSeconds * 1000,
    start: async (domain) => {
      const o = outcomes.get(domain)!;
      o.state = removing ? 'dissociating' : 'associating';
      o.startedAt = Date.now();
      try {
        if (removing) await dissociate(domain, bundle);
        else await associate(domain, bundle);
        return 'watch';
      } catch (err) {
        return { domain, outcome: 'failed', deployment: o.deployment!, error: errorSummary(err) };
      }
    },
    poll: async (watching) => {
      // Stage changes come back as 'progress': record them and keep watching, so the query shows
      // where each deployment is while history grows only with the number of stages.
      for (;;) {
        const statuses = await plugins.waitForDeployments.executeWithOptions(
          {
            ...pollingOptions(input.pollIntervalSeconds, latestDeadline(watching), [
              FailureTypes.AwsRequestRejected,
            ]),
            summary: `follow ${watching.length} blue/green deployment(s)`,
          },
          [
            {
              watching: watching.map((w): DeploymentWatch => ({
                ...w,
                packages: targets(),
                removing,
                ...(seen.has(w.domain) ? { seen: seen.get(w.domain) } : {}),
              })),
            },
          ],
        );
        for (const s of statuses) {
          seen.set(s.domain, stageKeyOf(s));
          const o = outcomes.get(s.domain)!;
          o.deployment = s.deployment;
          if (s.outcome === 'progress' && s.deployment.processing) o.state = 'blue-green';
        }
        report();
        const settled = statuses.filter((s) => s.outcome !== 'progress');
        if (settled.length > 0) return settled;
      }
    },
    pollFailed: (domain, err) => ({
      domain,
      outcome: 'failed',
      deployment: outcomes.get(domain)!.deployment!,
      error: errorSummary(err),
    }),
    settled: (s) => {
      const o = outcomes.get(s.domain)!;
      o.state = s.outcome === 'done' ? (removing ? 'removed' : 'current') : 'failed';
      if (s.deployment) o.deployment = s.deployment;
      if (s.error) o.error = s.error;
      o.finishedAt = Date.now();
    },
    afterRound: report,
  });

  phase = 'done';
  report();
  const failed = count('failed');
  const done = count('current', 'removed');
  const result: PluginRolloutResult = {
    outcome: failed === 0 ? (done === 0 ? 'unchanged' : 'succeeded') : done > 0 ? 'partial' : 'failed',
    action: input.action,
    ...(input.engineVersion ? { engineVersion: input.engineVersion } : {}),
    packages: bundle,
    domains: [...outcomes.values()],
    counts: { done, skipped: count('skipped'), failed, notStarted: count('pending', 'not-started') },
    startedAt,
    finishedAt: Date.now(),
  };
  publishStatus(failed === 0 ? 'succeeded' : done > 0 ? 'partial' : 'failed', failed);
  if (failed > 0) {
    const first = result.domains.find((d) => d.state === 'failed')!;
    throw ApplicationFailure.create({
      message: `${failed} domain(s) failed (first: ${first.domain}: ${first.error?.message ?? 'unknown'})`,
      type: FailureTypes.RolloutFailed,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

function stageKeyOf(s: DeploymentStatus): string {
  const d = s.deployment;
  return `${d.processing ? 'processing' : 'idle'}/${d.changeStatus ?? ''}/${d.stage ?? ''}`;
}

/**
 * Every target domain, before anything changes: it must run the plugin's engine version exactly
 * (install), and have no configuration change in progress (a second one would be refused, and a
 * running deployment is someone else's change to let finish).
 */
async function preflight(input: PluginRolloutParams, outcomes: Map<string, PluginDomainOutcome>) {
  const mismatched: string[] = [];
  const busy: string[] = [];
  for (const domain of input.domains) {
    const view = await plugins.describePluginDomain.executeWithOptions(
      { ...callOptions, summary: `check ${domain}` },
      [{ domain }],
    );
    const o = outcomes.get(domain)!;
    if (view.engineVersion) o.engineVersion = view.engineVersion;
    o.deployment = view.deployment;
    if (input.action === 'install' && view.engineVersion !== input.engineVersion)
      mismatched.push(`${domain} runs ${view.engineVersion ?? 'an unknown version'}`);
    if (view.deployment.processing || view.deployment.upgradeProcessing)
      busy.push(`${domain} (${view.deployment.processingStatus ?? 'Processing'})`);
  }
  if (mismatched.length > 0)
    throw ApplicationFailure.create({
      message: `engineVersion: the plugin is built for ${input.engineVersion}, but ${mismatched.join('; ')}; nothing was changed`,
      type: FailureTypes.EngineVersionMismatch,
      nonRetryable: true,
      details: [
        { issues: [{ field: 'engineVersion', rule: `must match every domain: ${mismatched.join('; ')}` }] },
      ],
    });
  if (busy.length > 0)
    throw ApplicationFailure.create({
      message: `a configuration change is in progress on ${busy.join(', ')}; nothing was changed — run again when it has finished`,
      type: FailureTypes.DomainChangeInProgress,
      nonRetryable: true,
    });
}

/** Stage, create or update, and wait until AVAILABLE: each package of the bundle in turn. */
async function publishBundle(
  input: PluginRolloutParams,
  bundle: BundlePackageOutcome[],
  nextPhase: () => void,
): Promise<void> {
  const staged = [];
  // Staging heartbeats: a worker that dies mid-staging costs seconds, not the 5-minute timeout.
  const heartbeat = patched(Patches.pluginStagingHeartbeat) ? { heartbeatTimeout: '10s' } : {};
  for (const b of bundle) {
    const spec = input.bundle[b.role]!;
    staged.push(
      await staging.stageDictionary.executeWithOptions(
        { ...callOptions, startToCloseTimeout: '5 minutes', ...heartbeat, summary: `stage ${b.packageName}` },
        [{ source: spec.source!, staging: input.staging, packageType: b.packageType }],
      ),
    );
  }
  nextPhase();
  const notVersion = new Map<string, string | undefined>();
  for (const [i, b] of bundle.entries()) {
    const spec = input.bundle[b.role]!;
    const object = staged[i]!;
    b.contentSha256 = object.sha256;
    const description = describeWithMarker(spec.description, object.sha256);
    let found = await plugins.findPluginPackage.executeWithOptions(
      { ...callOptions, summary: `find package ${b.packageName}` },
      [{ packageName: b.packageName }],
    );
    if (found && found.packageType !== b.packageType)
      throw ApplicationFailure.nonRetryable(
        `bundle.${b.role}.packageName: ${b.packageName} exists as a ${found.packageType}, not a ${b.packageType}`,
        FailureTypes.InvalidInput,
      );
    if (found && b.role === 'plugin' && found.engineVersion && found.engineVersion !== input.engineVersion)
      throw ApplicationFailure.nonRetryable(
        `engineVersion: package ${b.packageName} exists for ${found.engineVersion}, not ${input.engineVersion}; a plugin's engine version cannot change: give the new one another name`,
        FailureTypes.EngineVersionMismatch,
      );
    if (!found) {
      const created = await plugins.createPluginPackage.executeWithOptions(
        { ...callOptions, summary: `create ${b.packageType} ${b.packageName}` },
        [
          {
            packageName: b.packageName,
            packageType: b.packageType as 'ZIP-PLUGIN',
            description,
            bucket: object.bucket,
            key: object.key,
            ...(b.role === 'plugin'
              ? {
                  engineVersion: input.engineVersion,
                  packageConfiguration: input.bundle.plugin.packageConfiguration,
                }
              : {}),
          },
        ],
      );
      found = await plugins.findPluginPackage.executeWithOptions(
        { ...callOptions, summary: `find package ${b.packageName}` },
        [{ packageName: b.packageName }],
      );
      // 'exists' with this content: our own earlier attempt made it (its answer was lost).
      b.change = created === 'created' || found?.contentSha256 === object.sha256 ? 'created' : 'unchanged';
    } else if (found.contentSha256 !== object.sha256) {
      notVersion.set(found.packageId, found.availableVersion);
      await packages.updatePackage.executeWithOptions(
        {
          ...callOptions,
          retry: { ...callOptions.retry, maximumAttempts: 5 },
          summary: `update ${b.packageName}`,
        },
        [
          {
            packageId: found.packageId,
            description,
            commitMessage: commitMessageFor(object.sha256),
            sha256: object.sha256,
            bucket: object.bucket,
            key: object.key,
          },
        ],
      );
      b.change = 'updated';
    } else b.change = 'unchanged';
    if (!found)
      throw ApplicationFailure.nonRetryable(
        `package ${b.packageName} vanished after CreatePackage`,
        FailureTypes.AwsRequestRejected,
      );
    b.packageId = found.packageId;
  }
  nextPhase();
  for (const b of bundle) {
    const available = await packages.waitForPackageAvailable.executeWithOptions(
      {
        ...pollingOptions(Math.min(input.pollIntervalSeconds, 10), 2 * 3600_000, [
          FailureTypes.PackageCopyFailed,
          FailureTypes.PackageValidationFailed,
          FailureTypes.AwsRequestRejected,
        ]),
        summary: `wait until ${b.packageName} is AVAILABLE`,
      },
      [
        {
          packageId: b.packageId!,
          sha256: b.contentSha256!,
          ...(notVersion.get(b.packageId!) ? { notVersion: notVersion.get(b.packageId!) } : {}),
        },
      ],
    );
    b.version = available.availableVersion;
  }
}

/** The bundle in one AssociatePackages call: license and configuration need the plugin. */
async function associate(domain: string, bundle: BundlePackageOutcome[]): Promise<void> {
  const pluginId = bundle.find((b) => b.role === 'plugin')!.packageId!;
  await plugins.associatePluginBundle.executeWithOptions(
    { ...callOptions, summary: `associate the bundle with ${domain} (blue/green)` },
    [
      {
        domain,
        packages: bundle.map((b) => ({
          packageId: b.packageId!,
          ...(b.role === 'plugin' ? {} : { prerequisites: [pluginId] }),
        })),
      },
    ],
  );
}

/** The bundle off the domain in one DissociatePackages call (dependents first). */
async function dissociate(domain: string, bundle: BundlePackageOutcome[]): Promise<void> {
  const ids = [...bundle]
    .reverse()
    .filter((b) => b.packageId)
    .map((b) => b.packageId!);
  await plugins.dissociatePluginBundle.executeWithOptions(
    { ...callOptions, summary: `dissociate the bundle from ${domain} (blue/green)` },
    [{ domain, packageIds: ids }],
  );
}

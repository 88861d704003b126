/**
 * Over 400 lines on purpose: one release is one sequence of read-first steps sharing the run's
 * client tokens and step record; split across files it would be read out of order. The next step
 * that grows it should move the deprecation (keep the last K) into a file of its own.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createIotActivities } from '../activities/iot.js';
import { FailureTypes } from '../model/failures.js';
import {
  iotPackageReleaseInput,
  newerPublished,
  releaseClientToken,
  versionContentDifferences,
  versionsToDeprecate,
  type IotApproval,
  type IotApproveArgs,
  type IotPackageInfo,
  type IotPackageReleaseParams,
  type IotPackageReleaseResult,
  type IotReleasePhase,
  type IotReleaseSteps,
  type IotVersionInfo,
  type IotVersionStatus,
  type IotVersionSummary,
} from '../model/iot-package-release.js';
import { RolloutTargetVersion } from '../model/search-attributes.js';
import { errorSummary, parseWorkflowInput, updateRefused } from './failures.js';
import { withNotifications } from './notifier.js';
import { iotPackageReleaseMessages } from './messages.js';
import { WorkflowTypes } from '../model/constants.js';
import { publishIdentity, publishStatus } from './search-attributes.js';
import { budgetWaitLine, callPriorityOptions } from './call-priority.js';
import type { CallPriority } from '../model/call-priority.js';

type IotActivities = ReturnType<typeof createIotActivities>;

/** Plain IoT calls: short, retried with backoff (throttling, 5xx, lost answers); rejections end the run. */
const callOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [FailureTypes.AwsRequestRejected],
  },
};
const iot = proxyActivities<IotActivities>(callOptions);

/** Bounds the version listing: 100 pages of 100 PUBLISHED versions is far beyond any real package. */
const MAX_LIST_PAGES = 100;

/**
 * Releases one version of an AWS IoT software package: ensure the package, create the version
 * (DRAFT), wait for approval when asked, publish, make it the default, deprecate older versions.
 *
 * Every mutating call carries a clientToken derived from the run and the step (see
 * releaseClientToken), so a retried call whose answer was lost never creates a second version.
 * Each step reads first, so running the same release again changes nothing and succeeds
 * ('unchanged'); a version that exists with other content fails with IotVersionConflict.
 */
export async function iotPackageRelease(rawInput: unknown): Promise<IotPackageReleaseResult> {
  return withNotifications(rawInput, () => release(rawInput));
}

async function release(rawInput: unknown): Promise<IotPackageReleaseResult> {
  const startedAt = Date.now();
  let input: IotPackageReleaseParams;
  try {
    input = parseWorkflowInput(iotPackageReleaseInput, rawInput, 'iotPackageRelease input');
  } catch (err) {
    publishStatus('failed');
    throw err;
  }
  publishIdentity(WorkflowTypes.iotPackageRelease, input);
  const P = input.packageName;
  const V = input.versionName;
  const release = `${P}@${V}`;
  const { workflowId, runId } = workflowInfo();
  const token = (step: string) => releaseClientToken(workflowId, runId, step);

  let phase: IotReleasePhase = 'validating';
  let versionStatus: IotVersionStatus | undefined;
  let awaitingApproval = false;
  /** 'not-needed': the version was already past DRAFT, or publish is not 'after-approval'. */
  let gate: 'pending' | 'waiting' | 'passed' | 'not-needed' =
    input.publish === 'after-approval' ? 'pending' : 'not-needed';
  let approval: IotApproval | undefined;
  let failure: { type: string; message: string } | undefined;
  let defaultVersionName: string | undefined;
  let packageVersionArn: string | undefined;
  const notes: string[] = [];
  const steps: IotReleaseSteps = {
    package: 'pending',
    version: 'pending',
    publish: input.publish === 'no' ? 'not-requested' : 'pending',
    default: input.makeDefault ? 'pending' : 'not-requested',
    deprecated: [],
  };

  setHandler(iotPackageReleaseMessages.progress, () => ({
    phase,
    packageName: P,
    versionName: V,
    publish: input.publish,
    ...(versionStatus ? { versionStatus } : {}),
    awaitingApproval,
    ...(approval ? { approval } : {}),
    steps: { ...steps, deprecated: [...steps.deprecated] },
    ...(failure ? { error: failure } : {}),
  }));
  const approve = (args?: IotApproveArgs): IotApproval => {
    approval ??= { ...(args?.approvedBy ? { approvedBy: args.approvedBy } : {}), approvedAt: Date.now() };
    return approval;
  };
  setHandler(iotPackageReleaseMessages.approve, approve, {
    validator: (args?: IotApproveArgs) => {
      if (input.publish !== 'after-approval')
        throw updateRefused(`${release} does not wait for approval (publish: '${input.publish}')`);
      if (args !== undefined && (typeof args !== 'object' || args === null))
        throw updateRefused('approve takes { approvedBy?: string } or nothing');
      if (
        args?.approvedBy !== undefined &&
        (typeof args.approvedBy !== 'string' || args.approvedBy.length > 256)
      )
        throw updateRefused('approvedBy must be a string of at most 256 characters');
      if (approval) return; // approving twice answers the first approval
      if (gate === 'not-needed' || phase === 'done' || phase === 'failed')
        throw updateRefused(`nothing to approve: ${release} is ${versionStatus ?? phase}`);
    },
    description:
      'Approve publishing the version (publish: after-approval); may come before the gate is reached.',
  });
  setHandler(iotPackageReleaseMessages.approveSignal, (args) => {
    if (input.publish === 'after-approval') approve(typeof args?.approvedBy === 'string' ? args : undefined);
  });

  const report = () => {
    const approvalRow =
      input.publish !== 'after-approval'
        ? 'not asked'
        : approval
          ? `approved${approval.approvedBy ? ` by ${approval.approvedBy}` : ''}`
          : gate === 'waiting'
            ? '**waiting**: send the update `approve`'
            : gate === 'not-needed'
              ? 'not needed'
              : 'pending';
    setCurrentDetails(
      [
        `**${phase}** \`${release}\`${versionStatus ? ` (${versionStatus})` : ''}`,
        '',
        '| step | state |',
        '|---|---|',
        `| package | ${steps.package} |`,
        `| version | ${steps.version} |`,
        `| approval | ${approvalRow} |`,
        `| publish | ${steps.publish} |`,
        `| default | ${steps.default}${defaultVersionName ? ` (default: ${defaultVersionName})` : ''} |`,
        `| deprecate older | ${input.deprecateOlder === 'off' ? 'off' : `keep last ${input.deprecateOlder.keepLast}`}${steps.deprecated.length > 0 ? `: ${steps.deprecated.join(', ')}` : ''} |`,
        ...(failure ? ['', `**failed** (${failure.type}): ${failure.message}`] : []),
        ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : []),
        ...(phase === 'done' || phase === 'failed' || phase === 'waiting-for-approval'
          ? []
          : ['', budgetWaitLine(input.priority)]),
      ].join('\n'),
    );
  };
  const enter = (next: IotReleasePhase) => {
    phase = next;
    report();
  };

  upsertSearchAttributes([{ key: RolloutTargetVersion, value: V }]);
  publishStatus('running');

  try {
    // ---- the package ------------------------------------------------------------------------
    enter('ensuring-package');
    let pkg: IotPackageInfo | null = await iot.getIotPackage.executeWithOptions(
      { ...callOptions, ...callPriorityOptions(input.priority), summary: `read package ${P}` },
      [{ packageName: P }],
    );
    if (pkg) steps.package = 'existed';
    else {
      const created = await iot.createIotPackage.executeWithOptions(
        { ...callOptions, ...callPriorityOptions(input.priority), summary: `create package ${P}` },
        [
          {
            packageName: P,
            ...(input.packageDescription ? { description: input.packageDescription } : {}),
            tags: input.tags,
            clientToken: token('create-package'),
          },
        ],
      );
      steps.package = created === 'changed' ? 'created' : 'existed';
      pkg = { packageName: P };
    }
    defaultVersionName = pkg.defaultVersionName;

    // ---- the version ------------------------------------------------------------------------
    enter('creating-version');
    let version: IotVersionInfo | null = await iot.getIotPackageVersion.executeWithOptions(
      { ...callOptions, ...callPriorityOptions(input.priority), summary: `read version ${release}` },
      [{ packageName: P, versionName: V }],
    );
    if (version) steps.version = 'existed';
    else {
      const created = await iot.createIotPackageVersion.executeWithOptions(
        {
          ...callOptions,
          ...callPriorityOptions(input.priority),
          summary: `create version ${release} (DRAFT)`,
        },
        [
          {
            packageName: P,
            versionName: V,
            description: input.description,
            attributes: input.attributes,
            ...(input.artifact ? { artifact: input.artifact } : {}),
            tags: input.tags,
            clientToken: token('create-version'),
          },
        ],
      );
      version = created.version;
      steps.version = created.outcome === 'created' ? 'created' : 'existed';
    }
    versionStatus = version.status;
    packageVersionArn = version.packageVersionArn;
    if (steps.version === 'existed') {
      const differences = versionContentDifferences(input, version);
      if (differences.length > 0)
        throw ApplicationFailure.create({
          type: FailureTypes.IotVersionConflict,
          nonRetryable: true,
          message:
            `${release} already exists (${version.status}) with other content: ` +
            differences
              .slice(0, 5)
              .map((d) => `${d.field} is '${d.existing}' in AWS, '${d.requested}' requested`)
              .join('; ') +
            `${differences.length > 5 ? '; ...' : ''}. A release never changes an existing version: release under a new version name.`,
          details: [{ packageName: P, versionName: V, status: version.status, differences }],
        });
    }

    if (version.status === 'DEPRECATED') {
      // Reviving a deprecated version is a decision of its own, not a side effect of a re-run.
      if (steps.publish === 'pending') steps.publish = 'skipped-deprecated';
      if (steps.default === 'pending') steps.default = 'skipped-deprecated';
      gate = 'not-needed';
      notes.push(`${release} is DEPRECATED: left as it is (publish it again by hand to revive it)`);
      return finish();
    }

    // ---- approval and publication -----------------------------------------------------------
    if (input.publish !== 'no') {
      if (version.status === 'PUBLISHED') {
        steps.publish = 'already-published';
        if (!approval) gate = 'not-needed';
      } else {
        if (input.publish === 'after-approval' && !approval) {
          gate = 'waiting';
          awaitingApproval = true;
          publishStatus('waiting-for-approval');
          enter('waiting-for-approval');
          await condition(() => approval !== undefined);
          awaitingApproval = false;
          publishStatus('running');
          // Days may have passed: the default version may have moved meanwhile.
          pkg = (await iot.getIotPackage.executeWithOptions(
            { ...callOptions, ...callPriorityOptions(input.priority), summary: `read package ${P}` },
            [{ packageName: P }],
          )) ?? { packageName: P };
          defaultVersionName = pkg.defaultVersionName;
        }
        if (gate !== 'not-needed') gate = 'passed';
        enter('publishing');
        const published = await iot.updateIotPackageVersionStatus.executeWithOptions(
          { ...callOptions, ...callPriorityOptions(input.priority), summary: `publish ${release}` },
          [{ packageName: P, versionName: V, action: 'PUBLISH', clientToken: token('publish') }],
        );
        steps.publish = published === 'changed' ? 'published' : 'already-published';
        versionStatus = 'PUBLISHED';
      }
    }

    // ---- default version and deprecation ----------------------------------------------------
    if (versionStatus === 'PUBLISHED' && (input.makeDefault || input.deprecateOlder !== 'off')) {
      const listed = await listPublished(P, input.priority);
      const self = {
        versionName: V,
        // A version this run created has no date from CreatePackageVersion: the listing has it,
        // and failing that it is the newest there is.
        creationDate:
          version.creationDate ||
          listed.find((v) => v.versionName === V)?.creationDate ||
          Number.MAX_SAFE_INTEGER,
      };

      if (input.makeDefault) {
        enter('setting-default');
        const newer = newerPublished(listed, self);
        if (defaultVersionName === V) steps.default = 'already-default';
        else if (newer.length > 0) {
          steps.default = 'left-to-newer-version';
          notes.push(
            `default left at ${defaultVersionName ?? '(none)'}: newer published version(s) exist (${newer.slice(0, 5).join(', ')})`,
          );
        } else {
          const changed = await iot.setIotDefaultVersion.executeWithOptions(
            {
              ...callOptions,
              ...callPriorityOptions(input.priority),
              summary: `make ${release} the default version`,
            },
            [{ packageName: P, versionName: V, clientToken: token('set-default') }],
          );
          steps.default = changed === 'changed' ? 'set' : 'already-default';
          defaultVersionName = V;
        }
      }

      if (input.deprecateOlder !== 'off') {
        enter('deprecating');
        const doomed = versionsToDeprecate(listed, self, input.deprecateOlder.keepLast, defaultVersionName);
        const spared = versionsToDeprecate(listed, self, input.deprecateOlder.keepLast, undefined).filter(
          (v) => !doomed.includes(v),
        );
        if (spared.length > 0)
          notes.push(`${spared.join(', ')} kept published: it is the package's default version`);
        for (const name of doomed) {
          const changed = await iot.updateIotPackageVersionStatus.executeWithOptions(
            {
              ...callOptions,
              ...callPriorityOptions(input.priority),
              summary: `deprecate ${P}@${name} (keep last ${input.deprecateOlder.keepLast})`,
            },
            [
              {
                packageName: P,
                versionName: name,
                action: 'DEPRECATE',
                clientToken: token(`deprecate:${name}`),
              },
            ],
          );
          if (changed === 'changed') steps.deprecated.push(name);
          report();
        }
      }
    }
    return finish();
  } catch (err) {
    failure = errorSummary(err);
    if (isCancellation(err)) {
      publishStatus('cancelled');
      enter('failed');
      throw err;
    }
    publishStatus('failed');
    enter('failed');
    if (err instanceof ApplicationFailure) throw err;
    // An activity's failure: keep its type (AwsRequestRejected, ThrottlingException after the
    // last attempt, ...) and AWS's details at the top, where callers look for them.
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    throw ApplicationFailure.create({
      type: failure.type,
      message: `${release}: ${failure.message}`,
      nonRetryable: true,
      ...(cause instanceof ApplicationFailure && cause.details ? { details: [...cause.details] } : {}),
      ...(err instanceof Error ? { cause: err } : {}),
    });
  }

  function finish(): IotPackageReleaseResult {
    const changed =
      steps.package === 'created' ||
      steps.version === 'created' ||
      steps.publish === 'published' ||
      steps.default === 'set' ||
      steps.deprecated.length > 0;
    if (input.publish === 'no' && versionStatus === 'DRAFT')
      notes.push(`${release} stays DRAFT (publish: 'no')`);
    enter('done');
    publishStatus(changed ? 'succeeded' : 'unchanged');
    return {
      outcome: changed ? 'changed' : 'unchanged',
      packageName: P,
      versionName: V,
      ...(packageVersionArn ? { packageVersionArn } : {}),
      versionStatus: versionStatus ?? 'DRAFT',
      ...(defaultVersionName ? { defaultVersionName } : {}),
      steps,
      ...(approval ? { approval } : {}),
      notes,
      startedAt,
      finishedAt: Date.now(),
    };
  }
}

/** Every PUBLISHED version of the package, one activity per page of 100. */
async function listPublished(packageName: string, priority: CallPriority): Promise<IotVersionSummary[]> {
  const all: IotVersionSummary[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const out = await iot.listIotPackageVersions.executeWithOptions(
      {
        ...callOptions,
        ...callPriorityOptions(priority),
        summary: `list published versions of ${packageName}${page > 0 ? ` (page ${page + 1})` : ''}`,
      },
      [{ packageName, status: 'PUBLISHED', ...(nextToken ? { nextToken } : {}) }],
    );
    all.push(...out.versions);
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return all;
}

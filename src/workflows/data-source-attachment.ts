import { RetryState } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  AttachmentState,
  AttachmentTarget,
  createOpenSearchApplicationActivities,
} from '../activities/opensearch-applications.js';
import {
  ATTACHMENT_FAILED_REASON,
  applicationRef,
  applicationSelector,
  attachmentClientToken,
  dataSourceAttachmentInput,
  dataSourceKind,
  describeWorkspace,
  workspaceOf,
  type AttachmentFailureDetails,
  type DataSourceAttachmentParams,
  type DataSourceAttachmentProgress,
  type DataSourceAttachmentResult,
} from '../model/data-source-attachment.js';
import type { CallPriority } from '../model/call-priority.js';
import { FailureTypes } from '../model/failures.js';
import { awsCallOptions, pollingOptions } from './activity-options.js';
import { errorSummary, parseWorkflowInput } from './failures.js';
import { withNotifications } from './notifier.js';
import { dataSourceAttachmentMessages } from './messages.js';
import { WorkflowTypes } from '../model/constants.js';
import { publishIdentity, publishStatus } from './search-attributes.js';
import { budgetWaitLine, callPriorityOptions } from './call-priority.js';

type ApplicationActivities = ReturnType<typeof createOpenSearchApplicationActivities>;

const NON_RETRYABLE = [FailureTypes.AwsRequestRejected, FailureTypes.AttachmentFailed];

const callOptions = awsCallOptions(NON_RETRYABLE);
/** OpenSearch Service application calls. */
const opensearchApplications = proxyActivities<ApplicationActivities>(callOptions);

/**
 * Attaches an OpenSearch domain or Serverless collection to an OpenSearch application and waits,
 * durably, until AWS reports ATTACHED.
 *
 * - AttachDataSource carries a clientToken derived from the run (attachmentClientToken), so a
 *   retry after a lost response, a worker restart or a replay is the same request; and AWS answers
 *   an attached or pending attachment for the same pair instead of creating a second one.
 * - PENDING is waited out by ONE activity whose retry policy polls (initialInterval = poll interval,
 *   backoff 1, scheduleToClose = wait limit): the history gains the same few events for a 24-hour
 *   wait as for a 1-second one.
 * - At the wait limit the workflow looks once more, then fails with AttachmentWaitLimitExceeded. It
 *   does NOT detach: AWS refuses to detach a PENDING attachment (ConflictException), and itself
 *   marks it FAILED 24 hours after the request; until then it may still become ATTACHED, which a
 *   caller with a shorter limit may well want. Starting the same attachment again resumes the wait
 *   on the same attachment.
 */
export async function dataSourceAttachment(rawInput: unknown): Promise<DataSourceAttachmentResult> {
  return withNotifications(rawInput, () => attach(rawInput));
}

async function attach(rawInput: unknown): Promise<DataSourceAttachmentResult> {
  const startedAt = Date.now();
  let input: DataSourceAttachmentParams;
  try {
    input = parseWorkflowInput(dataSourceAttachmentInput, rawInput, 'dataSourceAttachment input');
  } catch (err) {
    publishStatus('failed');
    throw err;
  }
  publishIdentity(WorkflowTypes.dataSourceAttachment, input);
  const ref = applicationRef(input);
  const workspace = workspaceOf(input);
  const progress: DataSourceAttachmentProgress = {
    phase: 'resolving-application',
    application: { ref },
    dataSourceArn: input.dataSourceArn,
    workspace,
  };
  setHandler(dataSourceAttachmentMessages.progress, () => progress);
  publishStatus('running');
  const report = () =>
    setCurrentDetails(
      detailsMarkdown(progress, input.pollIntervalSeconds) +
        (progress.phase === 'done' ? '' : `\n\n${budgetWaitLine(input.priority)}`),
    );
  report();

  let target: AttachmentTarget | undefined;
  try {
    const application = await opensearchApplications.resolveApplication.executeWithOptions(
      { ...callOptions, ...callPriorityOptions(input.priority), summary: `resolve application ${ref}` },
      [applicationSelector(input)],
    );
    progress.application = application;
    progress.phase = 'attaching';
    report();
    target = { applicationId: application.id, dataSourceArn: input.dataSourceArn };
    const appLabel = application.name ?? application.id;

    const requested = await opensearchApplications.attachDataSource.executeWithOptions(
      {
        ...callOptions,
        ...callPriorityOptions(input.priority),
        summary: `attach ${input.dataSourceArn} -> ${appLabel}`,
      },
      [
        {
          ...target,
          ...(input.workspaceId !== undefined ? { workspaceId: input.workspaceId } : {}),
          ...(input.workspaceConfiguration !== undefined
            ? { workspaceConfiguration: input.workspaceConfiguration }
            : {}),
          clientToken: attachmentClientToken(workflowInfo().firstExecutionRunId),
        },
      ],
    );
    const requestedAt = Date.now();
    Object.assign(progress, { attachmentId: requested.attachmentId, status: requested.status, requestedAt });

    let final: AttachmentState = requested;
    let polls = 0;
    if (requested.status === 'PENDING') {
      const waitLimitMs = input.waitLimitSeconds * 1000;
      progress.phase = 'waiting';
      progress.waitDeadline = requestedAt + waitLimitMs;
      report();
      try {
        const attached = await opensearchApplications.waitForDataSourceAttachment.executeWithOptions(
          {
            // One describe per attempt; short, so an attempt lost with a killed worker is retried
            // soon. The wait limit is the only bound on the wait.
            ...pollingOptions(input.pollIntervalSeconds, waitLimitMs, NON_RETRYABLE, '30s'),
            ...callPriorityOptions(input.priority),
            summary: `wait until ${input.dataSourceArn} -> ${appLabel} is ATTACHED (poll every ${input.pollIntervalSeconds} s, up to ${input.waitLimitSeconds} s)`,
          },
          [target],
        );
        final = attached;
        polls = attached.polls;
      } catch (err) {
        if (!reachedWaitLimit(err)) throw err;
        // The limit may fall between two polls: one last look decides between success, AWS's own
        // FAILED verdict, and the wait limit.
        progress.phase = 'confirming';
        report();
        final = await opensearchApplications.describeDataSourceAttachment.executeWithOptions(
          {
            ...callOptions,
            ...callPriorityOptions(input.priority),
            summary: `confirm ${input.dataSourceArn} -> ${appLabel} at the wait limit`,
          },
          [target],
        );
        if (final.status === 'PENDING')
          throw waitLimitExceeded(target, final, requestedAt, input.waitLimitSeconds);
      }
    }
    if (final.status === 'FAILED') throw attachmentFailed(target, final, requestedAt);

    const attachedAt = Date.now();
    Object.assign(progress, {
      phase: 'done',
      status: 'ATTACHED',
      attachmentId: final.attachmentId,
      outcome: 'attached',
    });
    report();
    publishStatus('succeeded');
    return {
      status: 'ATTACHED',
      attachmentId: final.attachmentId,
      application,
      dataSourceArn: input.dataSourceArn,
      dataSourceKind: dataSourceKind(input.dataSourceArn),
      workspace,
      attachedOnRequest: requested.status === 'ATTACHED',
      polls,
      startedAt,
      requestedAt,
      attachedAt,
      finishedAt: Date.now(),
    };
  } catch (err) {
    if (isCancellation(err)) {
      Object.assign(progress, { phase: 'done', error: errorSummary(err) });
      report();
      publishStatus('cancelled');
      throw err;
    }
    const failure = await withApplicationStatus(asWorkflowFailure(err), target, input.priority);
    Object.assign(progress, {
      phase: 'done',
      outcome: failure.type === FailureTypes.AttachmentWaitLimitExceeded ? 'wait-limit-exceeded' : 'failed',
      error: { type: failure.type ?? 'Error', message: failure.message },
      ...(failure.type === FailureTypes.AttachmentFailed ? { status: 'FAILED' } : {}),
    });
    report();
    publishStatus('failed');
    throw failure;
  }
}

/**
 * scheduleToClose ended the polling: either during the backoff between attempts (the server gives
 * up with retry state TIMEOUT, the last NotReady as cause) or during an attempt (TimeoutFailure).
 */
function reachedWaitLimit(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  return err.retryState === RetryState.TIMEOUT || err.cause instanceof TimeoutFailure;
}

function attachmentFailed(
  target: AttachmentTarget,
  state: AttachmentState,
  requestedAt: number,
): ApplicationFailure {
  const details: AttachmentFailureDetails = {
    ...target,
    attachmentId: state.attachmentId,
    status: 'FAILED',
    reason: ATTACHMENT_FAILED_REASON,
    requestedAt,
    waitedSeconds: Math.round((Date.now() - requestedAt) / 1000),
  };
  return ApplicationFailure.nonRetryable(
    `attachment of ${target.dataSourceArn} to application ${target.applicationId} FAILED: ${details.reason}`,
    FailureTypes.AttachmentFailed,
    details,
  );
}

function waitLimitExceeded(
  target: AttachmentTarget,
  state: AttachmentState,
  requestedAt: number,
  waitLimitSeconds: number,
): ApplicationFailure {
  const details: AttachmentFailureDetails = {
    ...target,
    attachmentId: state.attachmentId,
    status: 'PENDING',
    reason:
      `still PENDING after the wait limit of ${waitLimitSeconds} s. Not detached: AWS refuses to ` +
      'detach a PENDING attachment, and marks it FAILED itself 24 hours after the request; until ' +
      'then it may still become ATTACHED. Starting the same attachment again waits on the same ' +
      'attachment (no second one is created).',
    requestedAt,
    waitedSeconds: Math.round((Date.now() - requestedAt) / 1000),
  };
  return ApplicationFailure.nonRetryable(
    `attachment ${state.attachmentId} of ${target.dataSourceArn} to application ${target.applicationId} ${details.reason}`,
    FailureTypes.AttachmentWaitLimitExceeded,
    details,
  );
}

/**
 * The run fails with the activity's own stable type at the top (AttachmentFailed,
 * AwsRequestRejected, ...), so callers read `err.cause.type` whatever step failed.
 */
function asWorkflowFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return ApplicationFailure.create({
      message: cause.message,
      type: cause.type ?? 'Error',
      nonRetryable: true,
      ...(cause.details?.length ? { details: [...cause.details] } : {}),
      cause: err,
    });
  }
  const summary = errorSummary(err);
  return ApplicationFailure.create({
    message: err instanceof ActivityFailure ? `${err.activityType}: ${summary.message}` : summary.message,
    type: summary.type,
    nonRetryable: true,
    ...(err instanceof Error ? { cause: err } : {}),
  });
}

/**
 * AWS gives no reason with FAILED; the application's status (FAILED, DELETING, ...) often is the
 * reason, so it goes into the failure. Best effort: a failing lookup leaves the failure as it is.
 */
async function withApplicationStatus(
  failure: ApplicationFailure,
  target: AttachmentTarget | undefined,
  priority: CallPriority,
): Promise<ApplicationFailure> {
  if (failure.type !== FailureTypes.AttachmentFailed || !target) return failure;
  let status: string | undefined;
  try {
    status = (
      await opensearchApplications.resolveApplication.executeWithOptions(
        {
          ...callOptions,
          ...callPriorityOptions(priority),
          retry: { ...callOptions.retry, maximumAttempts: 3 },
          summary: `read the status of application ${target.applicationId} after FAILED`,
        },
        [{ applicationId: target.applicationId }],
      )
    ).status;
  } catch {
    return failure;
  }
  if (!status) return failure;
  const details = { ...(failure.details?.[0] as AttachmentFailureDetails), applicationStatus: status };
  return ApplicationFailure.create({
    message: `${failure.message} (application status now: ${status})`,
    type: failure.type,
    nonRetryable: true,
    details: [details],
    ...(failure.cause ? { cause: failure.cause } : {}),
  });
}

function time(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** The Web UI's "current details": where the attachment stands, in one small table. */
function detailsMarkdown(p: DataSourceAttachmentProgress, pollIntervalSeconds: number): string {
  const app = 'id' in p.application ? `${p.application.name ?? ''} (${p.application.id})` : p.application.ref;
  const lines = [
    `**${p.phase}**${p.outcome ? ` — ${p.outcome}` : ''}: \`${p.dataSourceArn}\` → application ${app}`,
    '',
    '| attachment | status | application status | requested | wait until | workspace |',
    '|---|---|---|---|---|---|',
    `| ${p.attachmentId ?? '-'} | ${p.status ?? '-'} | ${'id' in p.application ? (p.application.status ?? '-') : '-'} | ${time(p.requestedAt)} | ${time(p.waitDeadline)} | ${describeWorkspace(p.workspace)} |`,
  ];
  if (p.phase === 'waiting') lines.push('', `Polling every ${pollIntervalSeconds} s.`);
  if (p.error) lines.push('', `**${p.error.type}**: ${p.error.message}`);
  return lines.join('\n');
}

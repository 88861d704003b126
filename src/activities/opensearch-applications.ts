import {
  AttachDataSourceCommand,
  DescribeDataSourceAttachmentCommand,
  GetApplicationCommand,
  ListApplicationsCommand,
  type DataSourceAttachmentStatus,
} from '@aws-sdk/client-opensearch';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  ATTACHMENT_FAILED_REASON,
  type AttachmentApplication,
  type AttachmentFailureDetails,
  type AttachmentStatus,
  type WorkspaceType,
} from '../model/data-source-attachment.js';
import { FailureTypes } from '../model/failures.js';
import { isAwsError, toActivityFailure } from './aws-errors.js';
import type { ActivityDeps } from './deps.js';
import { notReady } from './polling.js';

export interface AttachmentTarget {
  /** Always the resolved id: AWS documents names as accepted, but its id pattern has no '-'. */
  applicationId: string;
  dataSourceArn: string;
}

export interface AttachDataSourceRequest extends AttachmentTarget {
  workspaceId?: string;
  workspaceConfiguration?: { name: string; workspaceType: WorkspaceType };
  /** Stable for the run (see attachmentClientToken): a retry is the same request to AWS. */
  clientToken: string;
}

export interface AttachmentState {
  attachmentId: string;
  status: AttachmentStatus;
}

/** Eventual consistency: right after AttachDataSource a describe may not see the attachment yet. */
const NOT_FOUND_GRACE_ATTEMPTS = 3;

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

function stateOf(
  out: { attachmentId?: string; status?: DataSourceAttachmentStatus | string },
  operation: string,
): AttachmentState {
  const status = out.status;
  if (status !== 'PENDING' && status !== 'ATTACHED' && status !== 'FAILED') {
    // A status this code does not know: retrying will not teach it, so stop and say so.
    throw ApplicationFailure.nonRetryable(
      `${operation} answered an unknown attachment status '${String(status)}'`,
      FailureTypes.AwsRequestRejected,
    );
  }
  return { attachmentId: out.attachmentId ?? '', status };
}

/**
 * OpenSearch applications: data source attachments. One AWS call per activity (the paged lookup
 * of an application by name aside); the wait is an activity that describes once and throws
 * NotReady while PENDING, polled by Temporal's retry policy.
 */
export function createOpenSearchApplicationActivities(deps: ActivityDeps) {
  const { opensearch } = deps.aws;

  /** AWS's error mapped by toActivityFailure, with the application and data source named. */
  function failure(err: unknown, operation: string, target: Partial<AttachmentTarget>): ApplicationFailure {
    if (err instanceof ApplicationFailure) return err;
    const mapped = toActivityFailure(err, { service: 'es', operation });
    const where = [
      target.applicationId && `application ${target.applicationId}`,
      target.dataSourceArn && `data source ${target.dataSourceArn}`,
    ]
      .filter(Boolean)
      .join(', ');
    return ApplicationFailure.create({
      message: where ? `${mapped.message} (${where})` : mapped.message,
      type: mapped.type ?? FailureTypes.AwsRequestRejected,
      nonRetryable: mapped.nonRetryable ?? false,
      details: [{ ...(mapped.details?.[0] as object), ...target }],
    });
  }

  function attachmentFailed(
    target: AttachmentTarget,
    state: Partial<AttachmentState>,
    reason: string,
  ): ApplicationFailure {
    const details: AttachmentFailureDetails = {
      applicationId: target.applicationId,
      dataSourceArn: target.dataSourceArn,
      ...(state.attachmentId ? { attachmentId: state.attachmentId } : {}),
      status: 'FAILED',
      reason,
    };
    return ApplicationFailure.nonRetryable(
      `attachment of ${target.dataSourceArn} to application ${target.applicationId} FAILED: ${reason}`,
      FailureTypes.AttachmentFailed,
      details,
    );
  }

  async function describe(target: AttachmentTarget): Promise<AttachmentState> {
    const out = await opensearch.send(
      new DescribeDataSourceAttachmentCommand({
        id: target.applicationId,
        dataSourceArn: target.dataSourceArn,
      }),
    );
    return stateOf(out, 'DescribeDataSourceAttachment');
  }

  return {
    /** GetApplication by id; by name, ListApplications (paged) and an exact match. */
    async resolveApplication(ref: {
      applicationId?: string;
      applicationName?: string;
    }): Promise<AttachmentApplication> {
      if (ref.applicationId !== undefined) {
        try {
          const out = await opensearch.send(new GetApplicationCommand({ id: ref.applicationId }));
          return {
            id: out.id ?? ref.applicationId,
            ...(out.name ? { name: out.name } : {}),
            ...(out.arn ? { arn: out.arn } : {}),
            ...(out.status ? { status: out.status } : {}),
          };
        } catch (err) {
          throw failure(err, 'GetApplication', { applicationId: ref.applicationId });
        }
      }
      const name = ref.applicationName ?? '';
      let nextToken: string | undefined;
      do {
        let page;
        try {
          page = await opensearch.send(new ListApplicationsCommand({ maxResults: 100, nextToken }));
        } catch (err) {
          throw failure(err, 'ListApplications', {});
        }
        const match = (page.ApplicationSummaries ?? []).find((a) => a.name === name);
        if (match?.id)
          return {
            id: match.id,
            name,
            ...(match.arn ? { arn: match.arn } : {}),
            ...(match.status ? { status: match.status } : {}),
          };
        nextToken = page.nextToken;
      } while (nextToken);
      throw ApplicationFailure.nonRetryable(
        `no OpenSearch application named '${name}' in this account and region`,
        FailureTypes.AwsRequestRejected,
        { service: 'es', operation: 'ListApplications', code: 'ApplicationNotFound', message: name },
      );
    },

    /**
     * AttachDataSource. AWS answers an existing attached or pending attachment for the same pair
     * instead of creating a second one, and the clientToken makes a retried call the same request.
     */
    async attachDataSource(req: AttachDataSourceRequest): Promise<AttachmentState> {
      const target = { applicationId: req.applicationId, dataSourceArn: req.dataSourceArn };
      try {
        const out = await opensearch.send(
          new AttachDataSourceCommand({
            id: req.applicationId,
            dataSourceArn: req.dataSourceArn,
            ...(req.workspaceId !== undefined ? { workspaceId: req.workspaceId } : {}),
            ...(req.workspaceConfiguration !== undefined
              ? { workspaceConfiguration: req.workspaceConfiguration }
              : {}),
            clientToken: req.clientToken,
          }),
        );
        return stateOf(out, 'AttachDataSource');
      } catch (err) {
        throw failure(err, 'AttachDataSource', target);
      }
    },

    /** One DescribeDataSourceAttachment, whatever the status. */
    async describeDataSourceAttachment(target: AttachmentTarget): Promise<AttachmentState> {
      try {
        return await describe(target);
      } catch (err) {
        throw failure(err, 'DescribeDataSourceAttachment', target);
      }
    },

    /**
     * One DescribeDataSourceAttachment: returns on ATTACHED, throws NotReady (benign, retried at
     * the poll interval) while PENDING, AttachmentFailed (non-retryable) on FAILED. `polls` is the
     * attempt number, i.e. how many describes this wait took.
     */
    async waitForDataSourceAttachment(
      target: AttachmentTarget,
    ): Promise<AttachmentState & { polls: number }> {
      const polls = attempt();
      let state: AttachmentState;
      try {
        state = await describe(target);
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) {
          if (polls <= NOT_FOUND_GRACE_ATTEMPTS)
            throw notReady(`attachment of ${target.dataSourceArn} not visible yet (attempt ${polls})`);
          throw attachmentFailed(
            target,
            {},
            'the attachment no longer exists (detached, or the application was deleted, while waiting)',
          );
        }
        throw failure(err, 'DescribeDataSourceAttachment', target);
      }
      if (state.status === 'ATTACHED') return { ...state, polls };
      if (state.status === 'FAILED') throw attachmentFailed(target, state, ATTACHMENT_FAILED_REASON);
      throw notReady(`attachment ${state.attachmentId} of ${target.dataSourceArn} is PENDING`, {
        ...state,
        polls,
      });
    },
  };
}

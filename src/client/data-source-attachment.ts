import type { Client, WorkflowHandle } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, WorkflowTypes } from '../model/constants.js';
import {
  applicationRef,
  dataSourceAttachmentInput,
  dataSourceAttachmentWorkflowId,
  dataSourceKind,
  describeWorkspace,
  workspaceOf,
  type AttachmentWorkspace,
  type DataSourceAttachmentInput,
  type DataSourceAttachmentParams,
  type DataSourceAttachmentProgress,
  type DataSourceAttachmentResult,
} from '../model/data-source-attachment.js';
import { RolloutKind, RolloutStatus, RolloutTarget } from '../model/search-attributes.js';
import { parseOrThrow } from '../model/validation.js';
import { dataSourceAttachmentMessages } from '../workflows/messages.js';

/** The memo key under which a run records what it attaches, so a second start can compare. */
export const ATTACHMENT_REQUEST_MEMO = 'attachmentRequest';

interface AttachmentRequestMemo {
  application: string;
  dataSourceArn: string;
  workspace: AttachmentWorkspace;
}

/**
 * A second start for the same application and data source found a run already attaching it, but
 * with another workspace. Joining would hand this caller a result for a request it did not make.
 */
export class DataSourceAttachmentConflictError extends Error {
  override readonly name = 'DataSourceAttachmentConflictError';
  constructor(
    readonly workflowId: string,
    readonly running: AttachmentWorkspace,
    readonly requested: AttachmentWorkspace,
  ) {
    super(
      `An attachment of this data source to this application is already running (workflow id ` +
        `'${workflowId}') with ${describeWorkspace(running)}; this start asked for ` +
        `${describeWorkspace(requested)}. Wait for it (or cancel it) and start again: AWS keeps one ` +
        'attachment per application and data source.',
    );
  }
}

export function summarizeDataSourceAttachment(p: DataSourceAttachmentParams): {
  summary: string;
  details: string;
} {
  const workspace = workspaceOf(p);
  const summary = `attach ${p.dataSourceArn} -> application ${applicationRef(p)} (${describeWorkspace(workspace)})`;
  const details = [
    `### Data source attachment to application \`${applicationRef(p)}\``,
    `- **application**: ${p.applicationId ? `id ${p.applicationId}` : `name ${p.applicationName}`}`,
    `- **data source** (${dataSourceKind(p.dataSourceArn)}): \`${p.dataSourceArn}\``,
    `- **workspace**: ${describeWorkspace(workspace)}`,
    `- **wait**: up to ${p.waitLimitSeconds} s for ATTACHED, polling every ${p.pollIntervalSeconds} s`,
  ].join('\n');
  // staticSummary is limited to ~200 bytes; ARNs are ASCII.
  return { summary: summary.slice(0, 200), details };
}

/**
 * Validates, then starts (or joins) a data source attachment. Bad input throws InvalidInputError
 * before anything starts.
 *
 * Workflow id policy: one run per (application as named, data source). A second start while one
 * runs JOINS it (conflict policy USE_EXISTING): attaching is idempotent, so the same request has
 * nothing to refuse, and the caller gets the same handle and result. A second start asking for a
 * different workspace throws DataSourceAttachmentConflictError instead of silently joining. After
 * a run has closed, a new start runs again: AWS answers the existing attachment (ATTACHED at once)
 * or, after a FAILED one, makes a fresh attempt.
 */
export async function startDataSourceAttachment(
  client: Client,
  input: DataSourceAttachmentInput,
  options: { taskQueue?: string } = {},
): Promise<{ workflowId: string; handle: WorkflowHandle }> {
  const params = parseOrThrow(dataSourceAttachmentInput, input, 'data source attachment input');
  const workflowId = dataSourceAttachmentWorkflowId(params);
  const { summary, details } = summarizeDataSourceAttachment(params);
  const request: AttachmentRequestMemo = {
    application: applicationRef(params),
    dataSourceArn: params.dataSourceArn,
    workspace: workspaceOf(params),
  };
  const handle = await client.workflow.start(WorkflowTypes.dataSourceAttachment, {
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId,
    args: [params],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    memo: { [ATTACHMENT_REQUEST_MEMO]: request },
    staticSummary: summary,
    staticDetails: details,
    typedSearchAttributes: [
      { key: RolloutKind, value: WorkflowTypes.dataSourceAttachment },
      { key: RolloutTarget, value: `${applicationRef(params)}/${params.dataSourceArn}` },
      { key: RolloutStatus, value: 'running' },
    ],
  });
  // USE_EXISTING answers with the running run when there is one; its memo says what it attaches.
  // A run started without the memo (another SDK) cannot be compared and is joined.
  const running = (await handle.describe()).memo?.[ATTACHMENT_REQUEST_MEMO] as
    AttachmentRequestMemo | undefined;
  if (running && !sameWorkspace(running.workspace, request.workspace))
    throw new DataSourceAttachmentConflictError(workflowId, running.workspace, request.workspace);
  return { workflowId, handle };
}

function sameWorkspace(a: AttachmentWorkspace, b: AttachmentWorkspace): boolean {
  if (a.kind === 'existing' && b.kind === 'existing') return a.workspaceId === b.workspaceId;
  if (a.kind === 'new' && b.kind === 'new') return a.name === b.name && a.workspaceType === b.workspaceType;
  return a.kind === b.kind;
}

export function dataSourceAttachmentResult(handle: WorkflowHandle): Promise<DataSourceAttachmentResult> {
  return handle.result() as Promise<DataSourceAttachmentResult>;
}

export function dataSourceAttachmentProgress(handle: WorkflowHandle): Promise<DataSourceAttachmentProgress> {
  return handle.query(dataSourceAttachmentMessages.progress);
}

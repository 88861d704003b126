import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowTypes } from '../model/constants.js';
import { startSearchAttributes, WORKFLOW_IDENTITIES } from '../model/workflow-identity.js';
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
import type { dataSourceAttachment } from '../workflows/data-source-attachment.js';
import { dataSourceAttachmentMessages } from '../workflows/messages.js';
import { parseStartInput, startParsed, type StartOptions, type StartSpec, type Started } from './start.js';

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
  return { summary, details };
}

function requestOf(p: DataSourceAttachmentParams): AttachmentRequestMemo {
  return { application: applicationRef(p), dataSourceArn: p.dataSourceArn, workspace: workspaceOf(p) };
}

/**
 * Workflow id policy: one run per (application as named, data source). A second start while one
 * runs JOINS it (conflict policy USE_EXISTING): attaching is idempotent, so the same request has
 * nothing to refuse, and the caller gets the same handle and result. After a run has closed, a new
 * start runs again: AWS answers the existing attachment (ATTACHED at once) or, after a FAILED one,
 * makes a fresh attempt.
 */
export const dataSourceAttachmentStart: StartSpec<
  typeof dataSourceAttachment,
  typeof dataSourceAttachmentInput
> = {
  workflowType: WorkflowTypes.dataSourceAttachment,
  schema: dataSourceAttachmentInput,
  what: 'data source attachment input',
  workflowId: dataSourceAttachmentWorkflowId,
  fixedWorkflowId:
    'an attachment always runs as data-source-attachment/<application>/<dataSourceArn>: one run per application and data source',
  describe: summarizeDataSourceAttachment,
  searchAttributes: (p) => startSearchAttributes(WorkflowTypes.dataSourceAttachment, p),
  idConflictPolicy: WORKFLOW_IDENTITIES.dataSourceAttachment.idConflictPolicy,
  memo: (p) => ({ [ATTACHMENT_REQUEST_MEMO]: requestOf(p) }),
};

/**
 * Validates, then starts (or joins) a data source attachment. Bad input throws InvalidInputError
 * before anything starts. A second start asking for a different workspace than the running one
 * throws DataSourceAttachmentConflictError instead of silently joining.
 */
export async function startDataSourceAttachment(
  client: Client,
  input: DataSourceAttachmentInput,
  options: Omit<StartOptions, 'workflowId'> = {},
): Promise<Started<typeof dataSourceAttachment>> {
  const params = parseStartInput(dataSourceAttachmentStart, input);
  const started = await startParsed(client, dataSourceAttachmentStart, params, options);
  // USE_EXISTING answers with the running run when there is one; its memo says what it attaches.
  // A run started without the memo (another SDK) cannot be compared and is joined.
  const running = (await started.handle.describe()).memo?.[ATTACHMENT_REQUEST_MEMO] as
    AttachmentRequestMemo | undefined;
  const requested = requestOf(params);
  if (running && !sameWorkspace(running.workspace, requested.workspace))
    throw new DataSourceAttachmentConflictError(started.workflowId, running.workspace, requested.workspace);
  return started;
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

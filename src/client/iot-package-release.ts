import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, WorkflowTypes } from '../model/constants.js';
import { FailureTypes } from '../model/failures.js';
import {
  attributesByteSize,
  iotPackageReleaseInput,
  iotPackageReleaseWorkflowId,
  type IotApproval,
  type IotApproveArgs,
  type IotPackageReleaseInput,
  type IotPackageReleaseParams,
  type IotPackageReleaseProgress,
  type IotPackageReleaseResult,
} from '../model/iot-package-release.js';
import {
  RolloutKind,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetVersion,
} from '../model/search-attributes.js';
import { parseOrThrow } from '../model/validation.js';
import { iotPackageReleaseMessages } from '../workflows/messages.js';

export class IotReleaseAlreadyRunningError extends Error {
  override readonly name = 'IotReleaseAlreadyRunningError';
  readonly type = FailureTypes.RolloutAlreadyRunning;
  constructor(readonly workflowId: string) {
    super(
      `A release of this package version is already running (workflow id '${workflowId}'). ` +
        'Wait for it (approve it if it waits for approval), or cancel it, before starting it again.',
    );
  }
}

export function summarizeIotPackageRelease(p: IotPackageReleaseParams): { summary: string; details: string } {
  const steps = [
    p.publish === 'no' ? 'draft' : p.publish === 'after-approval' ? 'publish after approval' : 'publish',
    ...(p.makeDefault ? ['make default'] : []),
    ...(p.deprecateOlder !== 'off' ? [`keep last ${p.deprecateOlder.keepLast}`] : []),
  ];
  const summary = `IoT release ${p.packageName}@${p.versionName}: ${steps.join(', ')}`;
  const attributeKeys = Object.keys(p.attributes);
  const details = [
    `### IoT package release \`${p.packageName}@${p.versionName}\``,
    `- **publish**: ${p.publish}`,
    `- **make default**: ${p.makeDefault}`,
    `- **deprecate older**: ${p.deprecateOlder === 'off' ? 'off' : `keep the last ${p.deprecateOlder.keepLast} published`}`,
    ...(p.description ? [`- **description**: ${p.description}`] : []),
    `- **attributes** (${attributeKeys.length}, ${attributesByteSize(p.attributes)} of 3072 bytes): ${attributeKeys.slice(0, 20).join(', ') || '(none)'}${attributeKeys.length > 20 ? ', ...' : ''}`,
    ...(p.artifact
      ? [
          `- **artifact**: s3://${p.artifact.bucket}/${p.artifact.key}${p.artifact.version ? ` (version ${p.artifact.version})` : ''}`,
        ]
      : []),
    ...(Object.keys(p.tags).length > 0 ? [`- **tags**: ${Object.keys(p.tags).join(', ')}`] : []),
  ].join('\n');
  // staticSummary is limited to ~200 bytes.
  return { summary: summary.slice(0, 200), details };
}

/**
 * Validates, then starts a release. Bad input throws InvalidInputError before anything starts.
 *
 * Id policy: the id derives from package and version, one release per version at a time. A start
 * while one runs is refused (IotReleaseAlreadyRunningError), not joined: the second caller may
 * have other content in mind, and joining would hand it a result for content it did not send.
 * A finished release may be started again (the re-run reads, compares content, and succeeds
 * 'unchanged' or fails IotVersionConflict).
 */
export async function startIotPackageRelease(
  client: Client,
  input: IotPackageReleaseInput,
  options: { taskQueue?: string; workflowId?: string } = {},
): Promise<{ workflowId: string; handle: WorkflowHandle }> {
  const params = parseOrThrow(iotPackageReleaseInput, input, 'IoT package release input');
  const workflowId =
    options.workflowId ?? iotPackageReleaseWorkflowId(params.packageName, params.versionName);
  const { summary, details } = summarizeIotPackageRelease(params);
  try {
    const handle = await client.workflow.start(WorkflowTypes.iotPackageRelease, {
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [params],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: summary,
      staticDetails: details,
      typedSearchAttributes: [
        { key: RolloutKind, value: WorkflowTypes.iotPackageRelease },
        { key: RolloutTarget, value: params.packageName },
        { key: RolloutStatus, value: 'running' },
        { key: RolloutTargetVersion, value: params.versionName },
      ],
    });
    return { workflowId, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new IotReleaseAlreadyRunningError(workflowId);
    throw err;
  }
}

/**
 * Approves a release waiting with publish 'after-approval' and returns the approval. Rejected
 * (WorkflowUpdateFailedError) when the release does not wait for approval or has nothing left to
 * approve; approving twice returns the first approval.
 */
export function approveIotPackageRelease(
  client: Client,
  workflowId: string,
  args: IotApproveArgs = {},
): Promise<IotApproval> {
  return client.workflow
    .getHandle(workflowId)
    .executeUpdate(iotPackageReleaseMessages.approve, { args: [args] });
}

export function iotPackageReleaseResult(handle: WorkflowHandle): Promise<IotPackageReleaseResult> {
  return handle.result() as Promise<IotPackageReleaseResult>;
}

export function iotPackageReleaseProgress(handle: WorkflowHandle): Promise<IotPackageReleaseProgress> {
  return handle.query(iotPackageReleaseMessages.progress);
}

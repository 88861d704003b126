import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowTypes } from '../model/constants.js';
import { startSearchAttributes, WORKFLOW_IDENTITIES } from '../model/workflow-identity.js';
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
import type { iotPackageRelease } from '../workflows/iot-package-release.js';
import { iotPackageReleaseMessages } from '../workflows/messages.js';
import { startWorkflow, type StartOptions, type StartSpec, type Started } from './start.js';

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
  return { summary, details };
}

/**
 * Id policy: the id derives from package and version, one release per version at a time. A start
 * while one runs is refused (IotReleaseAlreadyRunningError), not joined: the second caller may
 * have other content in mind, and joining would hand it a result for content it did not send.
 * A finished release may be started again (the re-run reads, compares content, and succeeds
 * 'unchanged' or fails IotVersionConflict).
 */
export const iotPackageReleaseStart: StartSpec<typeof iotPackageRelease, typeof iotPackageReleaseInput> = {
  workflowType: WorkflowTypes.iotPackageRelease,
  schema: iotPackageReleaseInput,
  what: 'IoT package release input',
  workflowId: (p) => iotPackageReleaseWorkflowId(p.packageName, p.versionName),
  describe: summarizeIotPackageRelease,
  searchAttributes: (p) => startSearchAttributes(WorkflowTypes.iotPackageRelease, p),
  idConflictPolicy: WORKFLOW_IDENTITIES.iotPackageRelease.idConflictPolicy,
  alreadyRunning: (workflowId) => new IotReleaseAlreadyRunningError(workflowId),
};

/** Validates, then starts a release. Bad input throws InvalidInputError before anything starts. */
export function startIotPackageRelease(
  client: Client,
  input: IotPackageReleaseInput,
  options: StartOptions = {},
): Promise<Started<typeof iotPackageRelease>> {
  return startWorkflow(client, iotPackageReleaseStart, input, options);
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

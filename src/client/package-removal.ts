import type { Client, WorkflowHandle } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, WorkflowTypes } from '../model/constants.js';
import {
  packageRemovalInput,
  packageRemovalWorkflowId,
  type PackageRemovalInput,
  type PackageRemovalResult,
} from '../model/package-removal.js';
import { RolloutKind, RolloutStatus, RolloutTarget } from '../model/search-attributes.js';
import { domainsPair } from './dictionary-rollout.js';
import { parseOrThrow } from '../model/validation.js';
import { rolloutResult } from './results.js';

/**
 * Starts a package removal (InvalidInputError before anything starts on bad input). A second start
 * for the same package while one runs joins the running removal: removal is idempotent, so
 * there is nothing to refuse.
 */
export async function startPackageRemoval(
  client: Client,
  input: PackageRemovalInput,
  options: { taskQueue?: string; workflowId?: string } = {},
): Promise<{ workflowId: string; handle: WorkflowHandle }> {
  const params = parseOrThrow(packageRemovalInput, input, 'package removal input');
  const workflowId = options.workflowId ?? packageRemovalWorkflowId(params);
  const target = params.packageName ?? params.packageId!;
  const domains = params.domains === 'all' ? 'every associated domain' : `${params.domains.length} domain(s)`;
  const handle = await client.workflow.start(WorkflowTypes.packageRemoval, {
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId,
    args: [params],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary:
      `remove package ${target} from ${domains}${params.deletePackage ? ', then delete it' : ''}`.slice(
        0,
        200,
      ),
    staticDetails: `### Package removal of \`${target}\`\n- **domains**: ${params.domains === 'all' ? 'all associated' : params.domains.join(', ')}\n- **delete afterwards**: ${params.deletePackage}\n- **concurrency**: ${params.maxConcurrency}`,
    typedSearchAttributes: [
      { key: RolloutKind, value: WorkflowTypes.packageRemoval },
      { key: RolloutTarget, value: target },
      { key: RolloutStatus, value: 'running' },
      ...(params.domains === 'all' ? [] : domainsPair(params.domains)),
    ],
  });
  return { workflowId, handle };
}

export function packageRemovalResult(handle: WorkflowHandle): Promise<PackageRemovalResult> {
  return rolloutResult<PackageRemovalResult>(handle);
}

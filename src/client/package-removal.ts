import type { Client, WorkflowHandle } from '@temporalio/client';
import { targetKey } from '../model/fleet.js';
import { WorkflowTypes } from '../model/constants.js';
import { startSearchAttributes, WORKFLOW_IDENTITIES } from '../model/workflow-identity.js';
import {
  packageRemovalInput,
  packageRemovalWorkflowId,
  type PackageRemovalInput,
  type PackageRemovalParams,
  type PackageRemovalResult,
} from '../model/package-removal.js';
import type { packageRemoval } from '../workflows/package-removal.js';
import { rolloutResult } from './results.js';
import { startWorkflow, type StartOptions, type StartSpec, type Started } from './start.js';

export function summarizePackageRemoval(p: PackageRemovalParams): { summary: string; details: string } {
  const target = p.packageName ?? p.packageId!;
  const domains = p.domains === 'all' ? 'every associated domain' : `${p.domains.length} domain(s)`;
  return {
    summary: `remove package ${target} from ${domains}${p.deletePackage ? ', then delete it' : ''}`,
    details: `### Package removal of \`${target}\`\n- **domains**: ${p.domains === 'all' ? 'all associated' : p.domains.map(targetKey).join(', ')}\n- **delete afterwards**: ${p.deletePackage}\n- **concurrency**: ${p.maxConcurrency}`,
  };
}

/**
 * A second start for the same package while one runs joins the running removal: removal is
 * idempotent, so there is nothing to refuse.
 */
export const packageRemovalStart: StartSpec<typeof packageRemoval, typeof packageRemovalInput> = {
  workflowType: WorkflowTypes.packageRemoval,
  schema: packageRemovalInput,
  what: 'package removal input',
  workflowId: packageRemovalWorkflowId,
  describe: summarizePackageRemoval,
  searchAttributes: (p) => startSearchAttributes(WorkflowTypes.packageRemoval, p),
  idConflictPolicy: WORKFLOW_IDENTITIES.packageRemoval.idConflictPolicy,
};

/** Starts a package removal (InvalidInputError before anything starts on bad input). */
export function startPackageRemoval(
  client: Client,
  input: PackageRemovalInput,
  options: StartOptions = {},
): Promise<Started<typeof packageRemoval>> {
  return startWorkflow(client, packageRemovalStart, input, options);
}

export function packageRemovalResult(handle: WorkflowHandle): Promise<PackageRemovalResult> {
  return rolloutResult<PackageRemovalResult>(handle);
}

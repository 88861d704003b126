import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowTypes } from '../model/constants.js';
import {
  pluginRolloutInput,
  pluginRolloutWorkflowId,
  type PluginRolloutInput,
  type PluginRolloutParams,
  type PluginRolloutResult,
} from '../model/plugin-rollout.js';
import { startSearchAttributes, WORKFLOW_IDENTITIES } from '../model/workflow-identity.js';
import type { pluginRollout } from '../workflows/plugin-rollout.js';
import { RolloutAlreadyRunningError } from './dictionary-rollout.js';
import { rolloutResult } from './results.js';
import { startWorkflow, type StartOptions, type StartSpec, type Started } from './start.js';

export function summarizePluginRollout(p: PluginRolloutParams): { summary: string; details: string } {
  const b = p.bundle;
  const members = [b.plugin.packageName, b.license?.packageName, b.config?.packageName].filter(Boolean);
  return {
    summary: `${p.action} plugin ${b.plugin.packageName}${p.engineVersion ? ` (${p.engineVersion})` : ''} on ${p.domains.length} domain(s)`,
    details:
      `### Plugin ${p.action} of \`${b.plugin.packageName}\`\n- **packages**: ${members.join(', ')}\n` +
      `- **engine version**: ${p.engineVersion ?? '-'}\n- **domains**: ${p.domains.join(', ')}\n` +
      `- **blue/green deployments at once**: ${p.maxConcurrency}\n- **deadline per domain**: ${p.deploymentDeadlineSeconds} s`,
  };
}

/** One plugin rollout per plugin at a time: a second start while one runs is refused. */
export const pluginRolloutStart: StartSpec<typeof pluginRollout, typeof pluginRolloutInput> = {
  workflowType: WorkflowTypes.pluginRollout,
  schema: pluginRolloutInput,
  what: 'plugin rollout input',
  workflowId: (p) => pluginRolloutWorkflowId(p.bundle.plugin.packageName),
  describe: summarizePluginRollout,
  searchAttributes: (p) => startSearchAttributes(WorkflowTypes.pluginRollout, p),
  idConflictPolicy: WORKFLOW_IDENTITIES.pluginRollout.idConflictPolicy,
  alreadyRunning: (workflowId) => new RolloutAlreadyRunningError(workflowId),
};

/** Starts a plugin rollout (InvalidInputError before anything starts on bad input). */
export function startPluginRollout(
  client: Client,
  input: PluginRolloutInput,
  options: StartOptions = {},
): Promise<Started<typeof pluginRollout>> {
  return startWorkflow(client, pluginRolloutStart, input, options);
}

export function pluginRolloutResult(handle: WorkflowHandle): Promise<PluginRolloutResult> {
  return rolloutResult<PluginRolloutResult>(handle);
}

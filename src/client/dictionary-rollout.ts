import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowTypes } from '../model/constants.js';
import { targetKey } from '../model/fleet.js';
import { startSearchAttributes, WORKFLOW_IDENTITIES } from '../model/workflow-identity.js';
import { PACKAGE_NAME_PORTABLE_MAX } from '../model/aws-rules.js';
import {
  dictionaryRolloutInput,
  dictionaryRolloutWorkflowId,
  planWaves,
  type DictionaryRolloutInput,
  type DictionaryRolloutParams,
  type DictionaryRolloutProgress,
  type DictionaryRolloutResult,
} from '../model/dictionary-rollout.js';
import { FailureTypes } from '../model/failures.js';
import { domainsSearchAttribute, RolloutDomains } from '../model/search-attributes.js';
import type { dictionaryRollout } from '../workflows/dictionary-rollout/workflow.js';
import { dictionaryRolloutMessages } from '../workflows/messages.js';
import { rolloutResult } from './results.js';
import { startWorkflow, type StartOptions, type StartSpec, type Started } from './start.js';

export class RolloutAlreadyRunningError extends Error {
  override readonly name = 'RolloutAlreadyRunningError';
  readonly type = FailureTypes.RolloutAlreadyRunning;
  constructor(readonly workflowId: string) {
    super(
      `A rollout for this package is already running (workflow id '${workflowId}'). ` +
        'Wait for it, or cancel it, before starting another: at most one rollout per package runs at a time.',
    );
  }
}

export function summarizeDictionaryRollout(p: DictionaryRolloutParams): { summary: string; details: string } {
  const summary = `${p.dryRun ? 'Dry run: ' : ''}dictionary ${p.packageName} -> ${p.domains.length} domain(s), ${p.policy.failurePolicy} on failure`;
  const source =
    p.source.kind === 's3'
      ? `s3://${p.source.bucket}/${p.source.key}`
      : p.source.kind === 'url'
        ? p.source.url
        : 'inline text';
  const keys = p.domains.map(targetKey);
  const waves = planWaves(keys, p.policy.waves);
  const details = [
    `### Dictionary rollout of \`${p.packageName}\` (${p.packageType})`,
    `- **source**: ${source}`,
    `- **staging**: s3://${p.staging.bucket}/${p.staging.prefix}`,
    `- **domains** (${p.domains.length}): ${keys.slice(0, 20).join(', ')}${p.domains.length > 20 ? ', ...' : ''}`,
    `- **waves** (${waves.length}, ${p.policy.waves.strategy}): ${waves.map((w) => w.length).join(' + ')} domain(s)` +
      `${p.policy.approvalBetweenWaves ? ', approval before each wave after the first' : ''}` +
      `${p.policy.pauseBetweenWavesSeconds ? `, ${p.policy.pauseBetweenWavesSeconds} s pause between waves` : ''}`,
    `- **concurrency**: ${p.policy.maxConcurrency} domain(s) at once`,
    `- **on failure**: ${p.policy.failurePolicy}`,
    `- **per domain**: deadline ${p.policy.associationDeadlineSeconds} s, status read every ${p.policy.pollIntervalSeconds} s`,
  ].join('\n');
  return { summary, details };
}

/** Warnings worth showing a person (the CLI prints them); never errors. */
export function dictionaryRolloutWarnings(p: DictionaryRolloutParams): string[] {
  const warnings: string[] = [];
  if (p.packageName.length > PACKAGE_NAME_PORTABLE_MAX)
    warnings.push(
      `packageName is ${p.packageName.length} characters: AWS accepts up to 256, but Terraform caps package names at 32 and other tools at ${PACKAGE_NAME_PORTABLE_MAX}.`,
    );
  return warnings;
}

/** One rollout per package at a time: the id derives from the package name; a second start is refused. */
export const dictionaryRolloutStart: StartSpec<typeof dictionaryRollout, typeof dictionaryRolloutInput> = {
  workflowType: WorkflowTypes.dictionaryRollout,
  schema: dictionaryRolloutInput,
  what: 'dictionary rollout input',
  workflowId: (p) => dictionaryRolloutWorkflowId(p.packageName),
  // A chosen id would bypass the rule: Temporal refuses the second start, not a check that races.
  fixedWorkflowId:
    'a dictionary rollout always runs as dictionary-rollout/<packageName>: that is what keeps one rollout per package at a time',
  describe: summarizeDictionaryRollout,
  searchAttributes: (p) => startSearchAttributes(WorkflowTypes.dictionaryRollout, p),
  idConflictPolicy: WORKFLOW_IDENTITIES.dictionaryRollout.idConflictPolicy,
  alreadyRunning: (workflowId) => new RolloutAlreadyRunningError(workflowId),
};

/**
 * Validates, then starts a dictionary rollout. Bad input throws InvalidInputError before anything
 * starts; a rollout already running for the package throws RolloutAlreadyRunningError.
 */
export function startDictionaryRollout(
  client: Client,
  input: DictionaryRolloutInput,
  options: Omit<StartOptions, 'workflowId'> = {},
): Promise<Started<typeof dictionaryRollout>> {
  return startWorkflow(client, dictionaryRolloutStart, input, options);
}

/** The result, also of failed, partial, rolled-back and cancelled runs (see rolloutResult). */
export function dictionaryRolloutResult(handle: WorkflowHandle): Promise<DictionaryRolloutResult> {
  return rolloutResult<DictionaryRolloutResult>(handle);
}

export function dictionaryRolloutProgress(handle: WorkflowHandle): Promise<DictionaryRolloutProgress> {
  return handle.query(dictionaryRolloutMessages.progress);
}
export function approveWave(handle: WorkflowHandle, wave?: number): Promise<number> {
  return handle.executeUpdate(dictionaryRolloutMessages.approve, { args: [{ wave }] });
}
export function pauseRollout(handle: WorkflowHandle): Promise<void> {
  return handle.executeUpdate(dictionaryRolloutMessages.pause);
}
export function resumeRollout(handle: WorkflowHandle): Promise<void> {
  return handle.executeUpdate(dictionaryRolloutMessages.resume);
}

/** RolloutDomains when the list fits Temporal's search attribute size limit (see domainsSearchAttribute). */
export function domainsPair(domains: readonly string[]) {
  const value = domainsSearchAttribute(domains);
  return value ? [{ key: RolloutDomains, value }] : [];
}

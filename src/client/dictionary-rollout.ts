import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, WorkflowTypes } from '../model/constants.js';
import {
  dictionaryRolloutInput,
  dictionaryRolloutWorkflowId,
  PACKAGE_NAME_PORTABLE_MAX,
  planWaves,
  type DictionaryRolloutInput,
  type DictionaryRolloutParams,
  type DictionaryRolloutProgress,
  type DictionaryRolloutResult,
} from '../model/index.js';
import { FailureTypes } from '../model/failures.js';
import {
  domainsSearchAttribute,
  RolloutDomains,
  RolloutKind,
  RolloutStatus,
  RolloutTarget,
} from '../model/search-attributes.js';
import { parseOrThrow } from '../model/validation.js';
import { dictionaryRolloutMessages } from '../workflows/messages.js';
import { rolloutResult } from './results.js';

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

/**
 * No workflow id override: the id derives from the package name, which is what makes "one rollout
 * per package at a time" hold (a second start is refused by Temporal, not by a check that races).
 */
export interface StartOptions {
  taskQueue?: string;
}

export function summarizeDictionaryRollout(p: DictionaryRolloutParams): { summary: string; details: string } {
  const summary = `${p.dryRun ? 'Dry run: ' : ''}dictionary ${p.packageName} -> ${p.domains.length} domain(s), ${p.policy.failurePolicy} on failure`;
  const source =
    p.source.kind === 's3'
      ? `s3://${p.source.bucket}/${p.source.key}`
      : p.source.kind === 'url'
        ? p.source.url
        : 'inline text';
  const waves = planWaves(p.domains, p.policy.waves);
  const details = [
    `### Dictionary rollout of \`${p.packageName}\` (${p.packageType})`,
    `- **source**: ${source}`,
    `- **staging**: s3://${p.staging.bucket}/${p.staging.prefix}`,
    `- **domains** (${p.domains.length}): ${p.domains.slice(0, 20).join(', ')}${p.domains.length > 20 ? ', ...' : ''}`,
    `- **waves** (${waves.length}, ${p.policy.waves.strategy}): ${waves.map((w) => w.length).join(' + ')} domain(s)` +
      `${p.policy.approvalBetweenWaves ? ', approval before each wave after the first' : ''}` +
      `${p.policy.pauseBetweenWavesSeconds ? `, ${p.policy.pauseBetweenWavesSeconds} s pause between waves` : ''}`,
    `- **concurrency**: ${p.policy.maxConcurrency} domain(s) at once`,
    `- **on failure**: ${p.policy.failurePolicy}`,
    `- **per domain**: deadline ${p.policy.associationDeadlineSeconds} s, status read every ${p.policy.pollIntervalSeconds} s`,
  ].join('\n');
  // staticSummary is limited to ~200 bytes.
  return { summary: summary.slice(0, 200), details };
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

/**
 * Validates, then starts a dictionary rollout. Bad input throws InvalidInputError before anything
 * starts; a rollout already running for the package throws RolloutAlreadyRunningError.
 */
export async function startDictionaryRollout(
  client: Client,
  input: DictionaryRolloutInput,
  options: StartOptions = {},
): Promise<{ workflowId: string; handle: WorkflowHandle }> {
  const params = parseOrThrow(dictionaryRolloutInput, input, 'dictionary rollout input');
  const workflowId = dictionaryRolloutWorkflowId(params.packageName);
  const { summary, details } = summarizeDictionaryRollout(params);
  try {
    const handle = await client.workflow.start(WorkflowTypes.dictionaryRollout, {
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [params],
      // One rollout per package: a second start while one runs is refused, not merged.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: summary,
      staticDetails: details,
      typedSearchAttributes: [
        { key: RolloutKind, value: WorkflowTypes.dictionaryRollout },
        { key: RolloutTarget, value: params.packageName },
        { key: RolloutStatus, value: 'running' },
        ...domainsPair(params.domains),
      ],
    });
    return { workflowId, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RolloutAlreadyRunningError(workflowId);
    throw err;
  }
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

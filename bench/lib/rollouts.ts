import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import type { CallRecord } from '../../src/emulator/control-client.js';
import type { DictionaryRolloutResult } from '../../src/model/dictionary-rollout.js';
import { runScriptRollout, type ScriptRolloutResult } from '../baseline-script.js';
import { historyFigures, type HistoryFigures } from './history.js';
import { sampleProcess } from './processes.js';
import { STAGING_BUCKET, STAGING_PREFIX, type BenchStack } from './stack.js';

export interface RolloutSpec {
  domains: number;
  maxConcurrency: number;
  associationMs: number;
  pollIntervalSeconds: number;
  /** Emulator ms for COPYING and VALIDATING each (default 200, the emulator's own default). */
  packageStepMs?: number;
}

export interface CallFigures {
  /** "Operation" -> calls (es and s3). */
  byOperation: Record<string, number>;
  total: number;
  errors: number;
  /** "Operation HTTP-status" -> calls, for answers >= 400 (e.g. the expected 404 of HeadObject). */
  errorsByOperation: Record<string, number>;
  /** ListDomainsForPackage calls after the first AssociatePackage: the polling reads. */
  pollingReads: number;
  /** Pages read in each polling round (see readsPerRound). */
  pagesPerRound: number[];
}

export interface RunFigures {
  kind: 'durable' | 'script' | 'sequential';
  spec: RolloutSpec;
  wallMs: number;
  current: number;
  failed: number;
  /** Polling rounds while associating (durable: attempts of waitForAssociations). */
  pollRounds: number;
  calls: CallFigures;
  history?: HistoryFigures;
  workerCpuMs?: number;
  workflowId?: string;
}

export const domainNames = (n: number, prefix = 'bench') =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(4, '0')}`);

export const durationsFor = (spec: RolloutSpec) => ({
  associationMs: spec.associationMs,
  packageCopyingMs: spec.packageStepMs ?? 200,
  packageValidatingMs: spec.packageStepMs ?? 200,
});

export const dictionaryText = (tag: string) => `car, automobile, auto\nbench, ${tag}\n`;

/** The dictionary rollout policy every scenario uses: one wave (no canary), a sliding window. */
export function policyFor(spec: RolloutSpec) {
  return {
    maxConcurrency: spec.maxConcurrency,
    pollIntervalSeconds: spec.pollIntervalSeconds,
    waves: { strategy: 'sizes' as const, canary: 0, sizes: [1000] },
    failurePolicy: 'continue' as const,
  };
}

export function callFigures(calls: readonly CallRecord[]): CallFigures {
  const byOperation: Record<string, number> = {};
  for (const c of calls) byOperation[c.operation] = (byOperation[c.operation] ?? 0) + 1;
  const errorsByOperation: Record<string, number> = {};
  for (const c of calls)
    if (c.httpStatus >= 400) {
      const k = `${c.operation} ${c.httpStatus}`;
      errorsByOperation[k] = (errorsByOperation[k] ?? 0) + 1;
    }
  const firstAssociate = calls.find((c) => c.operation === 'AssociatePackage')?.seq ?? Infinity;
  const polling = calls.filter((c) => c.operation === 'ListDomainsForPackage' && c.seq > firstAssociate);
  return {
    byOperation,
    total: calls.length,
    errors: calls.filter((c) => c.httpStatus >= 400).length,
    errorsByOperation,
    pollingReads: polling.length,
    pagesPerRound: readsPerRound(calls, firstAssociate),
  };
}

/**
 * Pages read in each polling round. A round reads every page of the package's domain listing:
 * ceil(associated so far / 100) pages (at least 1), so the call log splits into rounds without
 * timing guesses (an immediate re-poll can follow the previous round within milliseconds).
 */
export function readsPerRound(calls: readonly CallRecord[], afterSeq: number): number[] {
  const sizes: number[] = [];
  let associated = 0;
  let open = 0;
  for (const c of [...calls].sort((a, b) => a.seq - b.seq)) {
    if (c.operation === 'AssociatePackage' && c.httpStatus < 400) associated++;
    if (c.seq <= afterSeq || c.operation !== 'ListDomainsForPackage') continue;
    const pages = Math.max(1, Math.ceil(associated / 100));
    if (sizes.length > 0 && open < pages) {
      sizes[sizes.length - 1]! += 1;
      open++;
    } else {
      sizes.push(1);
      open = 1;
    }
  }
  return sizes;
}

/** One dictionary rollout through Temporal (the long-lived worker), on an emulator reset for it. */
export async function runDurable(stack: BenchStack, spec: RolloutSpec): Promise<RunFigures> {
  const domains = domainNames(spec.domains);
  await stack.resetAws({ durations: durationsFor(spec), domains });
  const tag = randomUUID().slice(0, 8);
  const packageName = `bench-${spec.domains}-${tag}`;
  const cpuBefore = sampleProcess(stack.worker.pid).cpuMs;
  const started = performance.now();
  const { handle, workflowId } = await startDictionaryRollout(
    stack.client,
    {
      packageName,
      source: { kind: 'inline', text: dictionaryText(tag) },
      staging: { bucket: STAGING_BUCKET, prefix: STAGING_PREFIX },
      domains,
      policy: policyFor(spec),
    },
    { taskQueue: stack.worker.taskQueue },
  );
  const result: DictionaryRolloutResult = await dictionaryRolloutResult(handle);
  const wallMs = performance.now() - started;
  const workerCpuMs = sampleProcess(stack.worker.pid).cpuMs - cpuBefore;
  const calls = callFigures(await stack.control.calls());
  const history = await historyFigures(stack.client, workflowId);
  return {
    kind: 'durable',
    spec,
    wallMs,
    current: result.counts.current + result.counts.skipped,
    failed: result.counts.failed,
    pollRounds: history.activities.waitForAssociations?.attempts ?? 0,
    calls,
    history,
    workerCpuMs,
    workflowId,
  };
}

/** The same rollout as a plain script in this process (sequential: maxConcurrency 1). */
export async function runScript(
  stack: BenchStack,
  spec: RolloutSpec,
  kind: 'script' | 'sequential' = 'script',
): Promise<RunFigures> {
  const domains = domainNames(spec.domains);
  await stack.resetAws({ durations: durationsFor(spec), domains });
  const tag = randomUUID().slice(0, 8);
  const started = performance.now();
  const result: ScriptRolloutResult = await runScriptRollout(stack.aws, {
    packageName: `bench-${spec.domains}-${tag}`,
    text: dictionaryText(tag),
    bucket: STAGING_BUCKET,
    prefix: STAGING_PREFIX,
    domains,
    maxConcurrency: kind === 'sequential' ? 1 : spec.maxConcurrency,
    pollIntervalMs: spec.pollIntervalSeconds * 1000,
  });
  const wallMs = performance.now() - started;
  return {
    kind,
    spec,
    wallMs,
    current: result.current,
    failed: result.failed,
    pollRounds: result.pollRounds,
    calls: callFigures(await stack.control.calls()),
  };
}

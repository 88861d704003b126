/** The chains of rollouts: each chain runs its steps one after the other, and each run is checked as it ends. */
import { type Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { dictionaryRolloutProgress } from '../src/client/dictionary-rollout.js';
import { resultInFailure } from '../src/client/results.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import type { DictionaryRolloutResult } from '../src/model/dictionary-rollout.js';
import {
  checkAttachRun,
  checkDictionaryRun,
  checkIotRun,
  checkRemovalRun,
  type RunRecord,
} from './invariants.js';
import { checkFleetRun } from './invariants-fleet.js';
import { checkGatedRun, checkPluginRun, checkVerifiedRun } from './invariants-new-paths.js';
import { fleetPlaceStates } from './fleet-places.js';
import { createChainIndexes, type ChaosNode } from './node.js';
import type { Chain } from './plan.js';
import { sleep, whileReachable } from './reachability.js';
import type { Receiver } from './receiver.js';
import { alarmOf, runKey, startOf } from './starts.js';
import type { Violations } from './violations.js';

export { TASK_QUEUE, fast } from './starts.js';

export interface ChainContext {
  client: Client;
  control: EmulatorControl;
  records: RunRecord[];
  open: Map<string, WorkflowHandle>;
  httpBase: string;
  applications: Map<string, string>;
  violations: Violations;
  serverUp: () => Promise<void>;
  receiver: Receiver;
  node?: ChaosNode;
  /** Versions a rollback republished (previous content again, by design): `<package> <version>`. */
  republished: Set<string>;
  /** Planned alarm gate failures: fired mid-bake or not reached (the run ended before its bake). */
  alarmsFired: Array<{ run: string; alarm: string; fired: boolean }>;
  log: (m: string) => void;
}

function kindOf(chain: Chain, step: Chain['steps'][number]): RunRecord['kind'] {
  if (step.kind === 'removal') return 'packageRemoval';
  if (step.kind === 'iot') return 'iotPackageRelease';
  if (step.kind === 'attach') return 'dataSourceAttachment';
  if (step.kind === 'plugin') return 'pluginRollout';
  return 'dictionaryRollout';
}

export async function runChain(chain: Chain, ctx: ChainContext): Promise<void> {
  const released = new Set<string>();
  let lastResult: unknown;
  for (const [index, step] of chain.steps.entries()) {
    if (step.kind === 'indexes') {
      // The package exists now: indexes whose analyzers read its file, for the verified steps.
      const result = lastResult as DictionaryRolloutResult | undefined;
      if (!ctx.node || !result?.referencePath) {
        ctx.violations.check(
          'a verified chain has its indexes',
          false,
          () =>
            `${chain.id}: no package to make indexes for (first run: ${JSON.stringify(result)?.slice(0, 200)})`,
        );
        return;
      }
      await createChainIndexes(ctx.node.node, chain.id, result.referencePath);
      continue;
    }
    const before = await ctx.control.state();
    const fleetBefore = chain.kind === 'fleet' ? await fleetPlaceStates(ctx.control) : undefined;
    const record: RunRecord = {
      chain: chain.id,
      step: index + 1,
      kind: kindOf(chain, step),
      target: chain.target,
      workflowId: '',
      runId: '',
      startedAt: new Date().toISOString(),
      domains: chain.domains,
      failingDomains: chain.failingDomains,
    };
    if (step.kind === 'dictionary') {
      record.expectChange = step.expectChange;
      if (step.verify) record.verifyToken = step.verify.token;
      if (step.gates) record.gates = { ...step.gates, key: runKey(chain, index + 1) };
    }
    if (step.kind === 'plugin') {
      record.pluginAction = step.action;
      if (step.expectChange) record.expectChange = step.expectChange;
    }
    if (step.kind === 'iot') {
      if (step.rerun) record.expectChange = 'unchanged';
      released.add(step.versionName);
    }
    const start = startOf(chain, step, index, ctx);
    await ctx.serverUp();
    let handle: WorkflowHandle;
    try {
      ({ handle } = await whileReachable(`start ${chain.id}`, start));
    } catch (err) {
      // A start whose answer was lost while the server restarted: the run exists; follow it.
      const workflowId = (err as { workflowId?: unknown }).workflowId;
      if (/AlreadyRunning/.test((err as Error).name ?? '') && typeof workflowId === 'string')
        handle = ctx.client.workflow.getHandle(workflowId);
      else {
        ctx.violations.check(
          'every valid start is accepted',
          false,
          () => `${chain.id} step ${index + 1}: ${String(err)}`,
        );
        return;
      }
    }
    record.workflowId = handle.workflowId;
    record.runId =
      (handle as WorkflowHandle & { firstExecutionRunId?: string }).firstExecutionRunId ??
      (await whileReachable('describe', () => handle.describe())).runId;
    ctx.records.push(record);
    const own = ctx.client.workflow.getHandle(record.workflowId, record.runId);
    ctx.open.set(`${record.workflowId} ${record.runId}`, own);
    const firing =
      step.kind === 'dictionary' && step.gates?.fire === 'alarm'
        ? fireAlarmMidBake(own, record, ctx)
        : Promise.resolve();
    const end = await whileReachable(`result of ${record.workflowId}`, () => endOfRun(own), 600_000);
    ctx.open.delete(`${record.workflowId} ${record.runId}`);
    record.endedAt = new Date().toISOString();
    Object.assign(record, end);
    await firing;
    lastResult = record.result;
    // Per-run invariants, before the chain's next step changes the same resources.
    const after = await ctx.control.state();
    const calls = await ctx.control.calls();
    const v = ctx.violations;
    if (fleetBefore) checkFleetRun(record, fleetBefore, await fleetPlaceStates(ctx.control), calls, v);
    else if (record.kind === 'dictionaryRollout') {
      const result = record.result as DictionaryRolloutResult | undefined;
      if (result && result.counts.rolledBack > 0 && result.targetVersion)
        ctx.republished.add(`${record.target} ${result.targetVersion}`);
      checkDictionaryRun(record, before, after, calls, v, ctx.republished);
      if (record.verifyToken) checkVerifiedRun(record, v);
      if (record.gates) checkGatedRun(record, before, after, ctx.receiver.notifications, v);
    } else if (record.kind === 'packageRemoval') checkRemovalRun(record, after, calls, v);
    else if (record.kind === 'iotPackageRelease') checkIotRun(record, after, released, calls, v);
    else if (record.kind === 'pluginRollout') checkPluginRun(record, after, v);
    else checkAttachRun(record, after, ctx.applications.get(chain.target)!, chain.dataSource!, v);
    // A fired alarm is put back to OK so that the chain's next rollout can start.
    if (record.gates?.fire === 'alarm')
      await ctx.control.createAlarms(chain.domains.map((d) => ({ name: alarmOf(d) })));
  }
}

/**
 * The plan's alarm gate failure: once the run bakes after its first wave (the canary moved), the
 * canary's alarm goes to ALARM through the emulator's control API; the bake must notice it.
 */
async function fireAlarmMidBake(handle: WorkflowHandle, record: RunRecord, ctx: ChainContext): Promise<void> {
  const canary = record.domains[0]!;
  const alarm = alarmOf(canary);
  const mark = { run: `${record.chain} step ${record.step}`, alarm, fired: false };
  ctx.alarmsFired.push(mark);
  for (;;) {
    // The progress query says when the run bakes; while it cannot be answered (no worker up), a
    // pending alarm watch past its first attempt is a bake too (NotReady retries every 0.5 s).
    const progress = await dictionaryRolloutProgress(handle).catch(() => undefined);
    if (progress?.phase === 'done') return void ctx.log(`${mark.run}: ended before its first bake`);
    if (progress?.phase === 'baking' && progress.currentWave === 0) break;
    if (!progress) {
      const described = await handle.describe().catch(() => undefined);
      if (described && described.status.name !== 'RUNNING')
        return void ctx.log(`${mark.run}: ended before its first bake`);
      const pending = (described?.raw.pendingActivities ?? []) as Array<{
        activityType?: { name?: string | null } | null;
        attempt?: number | null;
      }>;
      if (pending.some((p) => p.activityType?.name === 'watchAlarms' && (p.attempt ?? 1) >= 2)) break;
    }
    await sleep(200);
  }
  await sleep(1000); // mid-bake: a read or two has passed healthy
  await ctx.control.createAlarms([
    { name: alarm, state: 'ALARM', reason: `chaos: ${canary} is unhealthy (planned)` },
  ]);
  mark.fired = true;
  ctx.log(`alarm ${alarm} fired during the bake of ${record.workflowId}`);
}

async function endOfRun(handle: WorkflowHandle): Promise<Pick<RunRecord, 'status' | 'result' | 'failure'>> {
  try {
    return { status: 'COMPLETED', result: await handle.result() };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const failure =
      cause instanceof ApplicationFailure
        ? { type: cause.type ?? 'ApplicationFailure', message: cause.message }
        : { type: cause?.name ?? 'WorkflowFailed', message: cause?.message ?? err.message };
    const result = resultInFailure(err);
    return { status: 'FAILED', failure, ...(result !== undefined ? { result } : {}) };
  }
}

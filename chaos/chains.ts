/** The chains of rollouts: each chain runs its steps one after the other, and each run is checked as it ends. */
import { type Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { resultInFailure } from '../src/client/results.js';
import { startDataSourceAttachment } from '../src/client/data-source-attachment.js';
import { RolloutAlreadyRunningError, startDictionaryRollout } from '../src/client/dictionary-rollout.js';
import { IotReleaseAlreadyRunningError, startIotPackageRelease } from '../src/client/iot-package-release.js';
import { startPackageRemoval } from '../src/client/package-removal.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import {
  checkAttachRun,
  checkDictionaryRun,
  checkIotRun,
  checkRemovalRun,
  type RunRecord,
} from './invariants.js';
import { ARTIFACT_BUCKET, SOURCE_BUCKET, STAGING_BUCKET, type Chain } from './plan.js';
import { whileReachable } from './reachability.js';
import type { Violations } from './violations.js';

export const TASK_QUEUE = 'chaos-rollouts';

export interface ChainContext {
  client: Client;
  control: EmulatorControl;
  records: RunRecord[];
  open: Map<string, WorkflowHandle>;
  httpBase: string;
  applications: Map<string, string>;
  violations: Violations;
  serverUp: () => Promise<void>;
}

export const fast = { pollIntervalSeconds: 0.3 };

export async function runChain(chain: Chain, ctx: ChainContext): Promise<void> {
  const released = new Set<string>();
  for (const [index, step] of chain.steps.entries()) {
    const before = await ctx.control.state();
    const record: RunRecord = {
      chain: chain.id,
      step: index + 1,
      kind: 'dictionaryRollout',
      target: chain.target,
      workflowId: '',
      runId: '',
      startedAt: new Date().toISOString(),
      domains: chain.domains,
      failingDomains: chain.failingDomains,
    };
    let start: () => Promise<{ workflowId: string; handle: WorkflowHandle }>;
    if (step.kind === 'dictionary') {
      record.expectChange = step.expectChange;
      const source =
        step.content.via === 's3'
          ? { kind: 's3' as const, bucket: SOURCE_BUCKET, key: `${step.content.id}.txt` }
          : { kind: 'url' as const, url: `${ctx.httpBase}/${step.content.id}.txt` };
      start = () =>
        startDictionaryRollout(
          ctx.client,
          {
            packageName: chain.target,
            description: `chaos chain ${chain.id}`,
            source,
            staging: { bucket: STAGING_BUCKET },
            domains: chain.domains,
            policy: {
              ...fast,
              maxConcurrency: 3,
              waves: { strategy: 'sizes', canary: 1, sizes: [2] },
              failurePolicy: chain.failingDomains.length > 0 ? 'continue' : 'halt',
              associationDeadlineSeconds: 600,
            },
          },
          { taskQueue: TASK_QUEUE },
        );
    } else if (step.kind === 'removal') {
      record.kind = 'packageRemoval';
      start = () =>
        startPackageRemoval(
          ctx.client,
          { packageName: chain.target, ...fast, maxConcurrency: 3, dissociationDeadlineSeconds: 600 },
          { taskQueue: TASK_QUEUE },
        );
    } else if (step.kind === 'iot') {
      record.kind = 'iotPackageRelease';
      if (step.rerun) record.expectChange = 'unchanged';
      released.add(step.versionName);
      start = () =>
        startIotPackageRelease(
          ctx.client,
          {
            packageName: chain.target,
            versionName: step.versionName,
            description: `chaos release ${step.versionName}`,
            attributes: { channel: 'stable', build: step.versionName },
            artifact: { bucket: ARTIFACT_BUCKET, key: `${chain.target}/${step.versionName}.bin` },
            ...(step.keepLast ? { deprecateOlder: { keepLast: step.keepLast } } : {}),
          },
          { taskQueue: TASK_QUEUE },
        );
    } else {
      record.kind = 'dataSourceAttachment';
      start = () =>
        startDataSourceAttachment(
          ctx.client,
          {
            applicationId: ctx.applications.get(chain.target)!,
            dataSourceArn: chain.dataSource!,
            workspaceConfiguration: { name: `Chaos ${chain.id}`, workspaceType: 'OBSERVABILITY' },
            ...fast,
            waitLimitSeconds: 600,
          },
          { taskQueue: TASK_QUEUE },
        );
    }
    await ctx.serverUp();
    let handle: WorkflowHandle;
    try {
      ({ handle } = await whileReachable(`start ${chain.id}`, start));
    } catch (err) {
      // A start whose answer was lost while the server restarted: the run exists; follow it.
      if (err instanceof RolloutAlreadyRunningError || err instanceof IotReleaseAlreadyRunningError)
        handle = ctx.client.workflow.getHandle(err.workflowId);
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
    ctx.open.set(
      `${record.workflowId} ${record.runId}`,
      ctx.client.workflow.getHandle(record.workflowId, record.runId),
    );
    const end = await whileReachable(
      `result of ${record.workflowId}`,
      () => endOfRun(ctx.client.workflow.getHandle(record.workflowId, record.runId)),
      600_000,
    );
    ctx.open.delete(`${record.workflowId} ${record.runId}`);
    record.endedAt = new Date().toISOString();
    Object.assign(record, end);
    // Per-run invariants, before the chain's next step changes the same resources.
    const after = await ctx.control.state();
    const calls = await ctx.control.calls();
    if (record.kind === 'dictionaryRollout') checkDictionaryRun(record, before, after, calls, ctx.violations);
    else if (record.kind === 'packageRemoval') checkRemovalRun(record, after, calls, ctx.violations);
    else if (record.kind === 'iotPackageRelease') checkIotRun(record, after, released, calls, ctx.violations);
    else
      checkAttachRun(record, after, ctx.applications.get(chain.target)!, chain.dataSource!, ctx.violations);
  }
}

export async function endOfRun(
  handle: WorkflowHandle,
): Promise<Pick<RunRecord, 'status' | 'result' | 'failure'>> {
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

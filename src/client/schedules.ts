/**
 * Scheduled dictionary refresh: a Temporal Schedule that starts dictionaryRollout from a URL or S3
 * source on an interval or a cron expression. Each run re-reads the source; when the content has
 * not changed the run ends quickly with outcome 'unchanged' and no AWS mutation (the workflow finds
 * the content hash already published and every domain current at it).
 */
import { CALL_PRIORITY } from '../model/call-priority.js';
import {
  isGrpcServiceError,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, WorkflowTypes } from '../model/constants.js';
import { targetKey } from '../model/fleet.js';
import {
  dictionaryRolloutInput,
  type DictionaryRolloutInput,
  type DictionaryRolloutParams,
} from '../model/dictionary-rollout.js';
import { RolloutKind, RolloutStatus, RolloutTarget } from '../model/search-attributes.js';
import { InvalidInputError, parseOrThrow, type InputIssue } from '../model/validation.js';
import { domainsPair, summarizeDictionaryRollout } from './dictionary-rollout.js';

export const OVERLAP_POLICIES = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** Schedule ids and the workflow ids of their runs (Temporal appends the scheduled time to the latter). */
export function dictionaryRefreshScheduleId(packageName: string): string {
  return `dictionary-refresh/${packageName}`;
}

export interface DictionaryRefreshOptions {
  /** The rollout each run starts. `source` must be a URL or S3 object: a refresh re-reads it. */
  input: DictionaryRolloutInput;
  /** An interval such as '15m', '6h', '1d' (or milliseconds). Give `every`, `cron`, or both. */
  every?: string | number;
  /** Cron expressions ('0 3 * * *'); Temporal evaluates them in UTC unless `timezone` is set. */
  cron?: string | string[];
  timezone?: string;
  /** What happens when a run is due while the previous one still runs [SKIP]. */
  overlap?: OverlapPolicy;
  /** Create the schedule paused (with `note` saying why). */
  paused?: boolean;
  note?: string;
  scheduleId?: string;
  taskQueue?: string;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '90s', '15m', '1h30m', '1d' -> milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? text : undefined;
  const compact = text.replace(/\s+/g, '');
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(compact)) return undefined;
  let total = 0;
  for (const [, n, unit] of compact.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g))
    total += Number(n) * DURATION_UNITS[unit!]!;
  return total > 0 ? total : undefined;
}

/** Validates everything a refresh schedule needs, naming each broken field; nothing is created. */
export function validateDictionaryRefresh(options: DictionaryRefreshOptions): {
  params: DictionaryRolloutParams;
  everyMs?: number;
  cron: string[];
  overlap: OverlapPolicy;
} {
  const params = parseOrThrow(dictionaryRolloutInput, options.input, 'dictionary refresh schedule');
  const issues: InputIssue[] = [];
  if (params.source.kind === 'inline')
    issues.push({
      field: 'source.kind',
      rule: "a scheduled refresh re-reads its source on every run: give a URL ({ kind: 'url' }) or an S3 object ({ kind: 's3' }), not inline text",
    });
  let everyMs: number | undefined;
  if (options.every !== undefined) {
    everyMs = parseDuration(options.every);
    if (everyMs === undefined)
      issues.push({ field: 'every', rule: "must be a duration such as '15m', '6h', '1d' or '1h30m'" });
    else if (everyMs < 60_000)
      issues.push({
        field: 'every',
        rule: 'must be at least 1m: a refresh reads the source and AWS on every run',
      });
  }
  const cron = options.cron === undefined ? [] : Array.isArray(options.cron) ? options.cron : [options.cron];
  cron.forEach((c, i) => {
    const fields = c.trim().split(/\s+/);
    if (!c.trim().startsWith('@') && (fields.length < 5 || fields.length > 7))
      issues.push({
        field: `cron[${i}]`,
        rule: "must be a cron expression such as '0 3 * * *' (minute hour day month weekday)",
      });
  });
  if (options.every === undefined && cron.length === 0)
    issues.push({ field: 'every', rule: 'give an interval (every) or a cron expression (cron)' });
  const overlap = options.overlap ?? 'SKIP';
  if (!OVERLAP_POLICIES.includes(overlap))
    issues.push({ field: 'overlap', rule: `must be one of ${OVERLAP_POLICIES.join(', ')}` });
  if (issues.length > 0) throw new InvalidInputError('dictionary refresh schedule', issues);
  return { params, everyMs, cron, overlap };
}

export class ScheduleExistsError extends Error {
  override readonly name = 'ScheduleExistsError';
  constructor(readonly scheduleId: string) {
    super(`A schedule with id '${scheduleId}' already exists: delete it first, or give another id.`);
  }
}

/**
 * Creates the schedule. Overlap SKIP by default: a refresh due while the previous one still runs
 * is skipped rather than queued, so one package never has two scheduled rollouts at once.
 */
export async function createDictionaryRefreshSchedule(
  client: Client,
  options: DictionaryRefreshOptions,
): Promise<{ scheduleId: string; handle: ScheduleHandle }> {
  const { params, everyMs, cron, overlap } = validateDictionaryRefresh(options);
  const scheduleId = options.scheduleId ?? dictionaryRefreshScheduleId(params.packageName);
  const { summary, details } = summarizeDictionaryRollout(params);
  try {
    const handle = await client.schedule.create({
      scheduleId,
      spec: {
        ...(everyMs !== undefined ? { intervals: [{ every: everyMs }] } : {}),
        ...(cron.length > 0 ? { cronExpressions: cron } : {}),
        ...(options.timezone ? { timezone: options.timezone } : {}),
      },
      action: {
        type: 'startWorkflow',
        workflowType: WorkflowTypes.dictionaryRollout,
        taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
        // Temporal appends the scheduled time: runs are '<scheduleId>-<ISO time>'.
        workflowId: scheduleId,
        // A scheduled refresh yields to rollouts a person started, unless its input says otherwise.
        args: [
          {
            ...params,
            priority: {
              ...params.priority,
              calls: options.input.priority?.calls ?? CALL_PRIORITY.scheduledRefresh,
            },
          },
        ],
        staticSummary: `scheduled refresh: ${summary}`.slice(0, 200),
        staticDetails: `${details}\n- **schedule**: \`${scheduleId}\``,
        typedSearchAttributes: [
          { key: RolloutKind, value: WorkflowTypes.dictionaryRollout },
          { key: RolloutTarget, value: params.packageName },
          { key: RolloutStatus, value: 'running' },
          // Left out when the list would pass Temporal's search attribute size limit (1,000 domains).
          ...domainsPair(params.domains.map(targetKey)),
        ],
      },
      policies: { overlap: ScheduleOverlapPolicy[overlap] },
      memo: {
        packageName: params.packageName,
        ...(options.every !== undefined ? { every: String(options.every) } : {}),
        ...(cron.length > 0 ? { cron } : {}),
      },
      state: {
        paused: options.paused ?? false,
        ...(options.note ? { note: options.note } : {}),
      },
    });
    return { scheduleId, handle };
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) throw new ScheduleExistsError(scheduleId);
    // The server checks cron syntax and time zones; its words name the field that is wrong.
    if (isGrpcServiceError(err) && err.code === 3 /* INVALID_ARGUMENT */)
      throw new InvalidInputError('dictionary refresh schedule', [
        { field: cron.length > 0 ? 'cron' : 'spec', rule: err.details || err.message },
      ]);
    throw err;
  }
}

export interface ScheduledRun {
  workflowId: string;
  runId: string;
  scheduledAt: string;
  takenAt: string;
}

export interface RefreshScheduleSummary {
  scheduleId: string;
  packageName?: string;
  every?: string;
  cron?: string[];
  paused: boolean;
  note?: string;
  recentRuns: ScheduledRun[];
  nextRunTimes: string[];
}

export interface RefreshScheduleDescription extends RefreshScheduleSummary {
  overlap: string;
  taskQueue?: string;
  source?: DictionaryRolloutParams['source'];
  domains?: string[];
  runsTaken: number;
  runsSkippedForOverlap: number;
  runningWorkflowIds: string[];
  createdAt: string;
}

function runsOf(
  recent: ReadonlyArray<{
    scheduledAt: Date;
    takenAt: Date;
    action: { workflow: { workflowId: string; firstExecutionRunId: string } };
  }>,
): ScheduledRun[] {
  return recent.map((a) => ({
    workflowId: a.action.workflow.workflowId,
    runId: a.action.workflow.firstExecutionRunId,
    scheduledAt: a.scheduledAt.toISOString(),
    takenAt: a.takenAt.toISOString(),
  }));
}

function memoFields(memo: Record<string, unknown> | undefined) {
  return {
    packageName: typeof memo?.packageName === 'string' ? memo.packageName : undefined,
    every: typeof memo?.every === 'string' ? memo.every : undefined,
    cron: Array.isArray(memo?.cron) ? (memo.cron as string[]) : undefined,
  };
}

/** Every schedule in the namespace that starts dictionaryRollout. */
export async function listDictionaryRefreshSchedules(client: Client): Promise<RefreshScheduleSummary[]> {
  const out: RefreshScheduleSummary[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.workflowType !== WorkflowTypes.dictionaryRollout) continue;
    out.push({
      scheduleId: s.scheduleId,
      ...memoFields(s.memo),
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      recentRuns: runsOf(s.info.recentActions),
      nextRunTimes: s.info.nextActionTimes.map((d) => d.toISOString()),
    });
  }
  return out;
}

export async function describeDictionaryRefreshSchedule(
  client: Client,
  scheduleId: string,
): Promise<RefreshScheduleDescription> {
  const d: ScheduleDescription = await client.schedule.getHandle(scheduleId).describe();
  const params = d.action.args?.[0] as DictionaryRolloutParams | undefined;
  return {
    scheduleId: d.scheduleId,
    ...memoFields(d.memo),
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    overlap: d.policies.overlap ?? 'SKIP',
    taskQueue: d.action.taskQueue,
    source: params?.source,
    domains: params?.domains.map(targetKey),
    recentRuns: runsOf(d.info.recentActions),
    nextRunTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    runsTaken: d.info.numActionsTaken,
    runsSkippedForOverlap: d.info.numActionsSkippedOverlap,
    runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
    createdAt: d.info.createdAt.toISOString(),
  };
}

export function pauseSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  return client.schedule.getHandle(scheduleId).pause(note ?? 'paused with package-rollouts');
}
export function unpauseSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  return client.schedule.getHandle(scheduleId).unpause(note ?? 'unpaused with package-rollouts');
}
export function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  return client.schedule.getHandle(scheduleId).delete();
}

export type TriggerOutcome =
  | { started: true; run: ScheduledRun }
  /** The overlap policy kept the run from starting (SKIP while the previous one runs). */
  | { started: false; reason: 'skipped-overlap' | 'not-observed' };

/**
 * Runs the schedule's action now and reports the run it started. The schedule's own overlap policy
 * applies (Temporal's default for a trigger would be ALLOW_ALL: two refreshes of one package at once).
 */
export async function triggerSchedule(
  client: Client,
  scheduleId: string,
  options: { overlap?: OverlapPolicy; observeMs?: number; pollMs?: number } = {},
): Promise<TriggerOutcome> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = await handle.describe();
  const overlap = options.overlap ?? before.policies.overlap ?? 'SKIP';
  await handle.trigger(ScheduleOverlapPolicy[overlap as OverlapPolicy]);
  // A trigger is taken by the schedule asynchronously: watch its counters to learn what happened.
  const deadline = Date.now() + (options.observeMs ?? 15_000);
  for (;;) {
    const now = await handle.describe();
    if (now.info.numActionsTaken > before.info.numActionsTaken) {
      const run = runsOf(now.info.recentActions).at(-1);
      if (run) return { started: true, run };
    }
    if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap)
      return { started: false, reason: 'skipped-overlap' };
    if (Date.now() > deadline) return { started: false, reason: 'not-observed' };
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
}

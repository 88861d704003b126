/**
 * Where the wall time of a run at the rate limit goes (scenario 8). The physical bound counts only
 * the OpenSearch calls AWS accepted, at AWS's rate R; the fleet budget hands out *every* activity
 * task (S3 staging, polls, throttled attempts' retries) at its own rate B. So:
 *
 *   wall ÷ (accepted ÷ R) = (R ÷ B) × (tasks ÷ accepted) × (wall ÷ (tasks ÷ B))
 *
 * the first factor set by the budget's configuration, the second by the activities' call pattern,
 * the third by the server's dispatch and by the gaps where no task was queued (start, end, workflow
 * tasks between a run's calls). What was queued when comes from the runs' histories (scheduled ->
 * started of each activity); the task queue's own statistics are cached for seconds, too coarse.
 */
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

export interface ActivityTimes {
  run: number;
  type: string;
  /** ms since the batch's start. */
  scheduled: number;
  /** The last attempt's hand-out to a worker, ms since the batch's start. */
  started: number;
  attempt: number;
}

const ms = (t: proto.temporal.api.history.v1.IHistoryEvent['eventTime']) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

/**
 * Activity attempts handed to a worker, per activity type, from the runs' histories; and each
 * activity's times (for BENCH_RATE_TIMELINE, docs/benchmarks.md).
 */
export async function activityAttempts(
  handles: readonly WorkflowHandle[],
  t0 = 0,
  times: ActivityTimes[] = [],
): Promise<Map<string, number>> {
  const byType = new Map<string, number>();
  for (const [run, handle] of handles.entries()) {
    const scheduledAt = new Map<string, number>();
    const events = (await handle.fetchHistory()).events ?? [];
    const typeOf = new Map<string, string>();
    for (const e of events) {
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        typeOf.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
        scheduledAt.set(String(e.eventId), ms(e.eventTime) - t0);
      }
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        const a = e.activityTaskStartedEventAttributes;
        const type = typeOf.get(String(a?.scheduledEventId)) ?? '?';
        // The started event is the last attempt's: its number counts every attempt before it.
        byType.set(type, (byType.get(type) ?? 0) + Math.max(1, a?.attempt ?? 1));
        times.push({
          run,
          type,
          scheduled: scheduledAt.get(String(a?.scheduledEventId)) ?? NaN,
          started: ms(e.eventTime) - t0,
          attempt: a?.attempt ?? 1,
        });
      }
    }
  }
  return byType;
}

export interface TimelineFigures {
  /** Start of the batch -> first OpenSearch call. */
  firstCallMs: number;
  /** Last OpenSearch call -> every run finished. */
  afterLastCallMs: number;
  /** Time between the first and the last call with no call waiting in the task queue. */
  emptyQueueMs: number;
  /** Accepted OpenSearch calls per second while calls were waiting in the task queue. */
  heldRate: number;
  /** The largest number of OpenSearch calls in any 1 s window. */
  busiestSecond: number;
}

/** A wait's attempts are retries on a timer, not calls waiting for the budget. */
const isPoll = (type: string) => type.startsWith('waitFor');
/** Scheduled -> started shorter than this is the hand-over itself, not waiting. */
const HANDOVER_MS = 50;
const STEP_MS = 100;

/** Call times and activity times, all in ms since the start of the batch. */
export function timeline(
  callTimes: readonly number[],
  acceptedTimes: readonly number[],
  activities: readonly ActivityTimes[],
  wallMs: number,
): TimelineFigures {
  const sorted = [...callTimes].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const last = sorted[sorted.length - 1] ?? 0;
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  // Calls waiting in the queue, sampled every STEP_MS: +1 when scheduled, -1 when handed out.
  const steps = Math.ceil(wallMs / STEP_MS) + 1;
  const delta = new Array<number>(steps + 1).fill(0);
  for (const a of activities) {
    if (isPoll(a.type) || a.attempt > 1 || !(a.started - a.scheduled > HANDOVER_MS)) continue;
    delta[Math.max(0, Math.ceil(a.scheduled / STEP_MS))]! += 1;
    delta[Math.min(steps, Math.ceil((a.started - HANDOVER_MS) / STEP_MS))]! -= 1;
  }
  const accepted = new Array<number>(steps + 1).fill(0);
  for (const t of acceptedTimes) accepted[Math.min(steps, Math.max(0, Math.floor(t / STEP_MS)))]! += 1;
  let waiting = 0;
  let emptySteps = 0;
  let heldSteps = 0;
  let heldCalls = 0;
  for (let i = 0; i <= steps; i++) {
    waiting += delta[i]!;
    if (i * STEP_MS < first || i * STEP_MS > last) continue;
    if (waiting > 0) {
      heldSteps++;
      heldCalls += accepted[i]!;
    } else emptySteps++;
  }
  return {
    firstCallMs: first,
    afterLastCallMs: wallMs - last,
    emptyQueueMs: emptySteps * STEP_MS,
    heldRate: heldSteps > 0 ? heldCalls / ((heldSteps * STEP_MS) / 1000) : 0,
    busiestSecond: busiest,
  };
}

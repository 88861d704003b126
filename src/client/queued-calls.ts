/**
 * Calls held back by the fleet's AWS call budget (docs/rate-limits.md): a run's activities that
 * are due but not yet handed to a worker. The budget holds calls in Temporal's task queue, where
 * the workflow cannot see them, so this reads the run's pending activities instead (what the Web
 * UI shows as *Scheduled* under *Pending Activities*). A retry waiting for its backoff is not due
 * and does not count; no worker at all looks the same, and the texts say so.
 */
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';

const { PENDING_ACTIVITY_STATE_SCHEDULED } = proto.temporal.api.enums.v1.PendingActivityState;
/** Shorter waits are the ordinary hand-over, not the budget. */
const HELD_AFTER_MS = 1000;

export interface QueuedCalls {
  /** Activities due and not yet started. */
  count: number;
  /** How long the longest of them has waited, in ms. */
  longestMs: number;
  /** The queued activities by type (e.g. associatePackage: 8). */
  byActivity: Record<string, number>;
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : undefined;

/** From a description the caller already has (`handle.describe()`): no second request. */
export function queuedCallsOf(
  description: Pick<WorkflowExecutionDescription, 'raw'>,
  now = Date.now(),
): QueuedCalls {
  let count = 0;
  let longestMs = 0;
  const byActivity: Record<string, number> = {};
  for (const a of description.raw.pendingActivities ?? []) {
    if (a.state !== PENDING_ACTIVITY_STATE_SCHEDULED) continue;
    const due = ms(a.nextAttemptScheduleTime) ?? ms(a.scheduledTime);
    if (due === undefined || now - due < HELD_AFTER_MS) continue;
    count++;
    longestMs = Math.max(longestMs, now - due);
    const type = a.activityType?.name ?? 'activity';
    byActivity[type] = (byActivity[type] ?? 0) + 1;
  }
  return { count, longestMs, byActivity };
}

export async function queuedCalls(handle: WorkflowHandle, now?: number): Promise<QueuedCalls> {
  return queuedCallsOf(await handle.describe(), now);
}

/** One line for people: `rollouts status` and `rollouts watch`. */
export function queuedCallsText(q: QueuedCalls): string {
  if (q.count === 0) return 'waiting: none (every due AWS call is with a worker)';
  const kinds = Object.entries(q.byActivity)
    .sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  return `waiting: ${q.count} AWS call(s) queued for the call budget (or a worker), longest ${Math.round(q.longestMs / 1000)} s (${kinds})`;
}

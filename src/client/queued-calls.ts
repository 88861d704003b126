/**
 * Calls held back by the fleet's AWS call budget (docs/rate-limits.md): a run's activities that
 * are due but not yet handed to a worker. The budget holds calls in Temporal's task queue, where
 * the workflow cannot see them, so this reads the run's pending activities instead (what the Web
 * UI shows as *Scheduled* under *Pending Activities*). A retry waiting for its backoff is not due
 * and does not count; no worker at all looks the same, and the watch says so.
 */
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';

const { PENDING_ACTIVITY_STATE_SCHEDULED } = proto.temporal.api.enums.v1.PendingActivityState;
/** Shorter waits are the ordinary hand-over, not the budget. */
const HELD_AFTER_MS = 1000;

export interface QueuedCalls {
  /** Activities due and not yet started. */
  count: number;
  /** How long the longest of them has waited, in ms. */
  longestMs: number;
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : undefined;

export async function queuedCalls(handle: WorkflowHandle, now = Date.now()): Promise<QueuedCalls> {
  const { raw } = await handle.describe();
  let count = 0;
  let longestMs = 0;
  for (const a of raw.pendingActivities ?? []) {
    if (a.state !== PENDING_ACTIVITY_STATE_SCHEDULED) continue;
    const due = ms(a.nextAttemptScheduleTime) ?? ms(a.scheduledTime);
    if (due === undefined || now - due < HELD_AFTER_MS) continue;
    count++;
    longestMs = Math.max(longestMs, now - due);
  }
  return { count, longestMs };
}

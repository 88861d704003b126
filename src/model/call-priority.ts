import { z } from 'zod';

/**
 * Task queue priority of a run's AWS calls (Temporal `priorityKey`, 1 = first, 5 = last): when
 * the fleet's AWS call budget (docs/rate-limits.md) holds calls back, the queued call with the
 * lowest key is handed out first. A rollback, or the cleanup after a cancellation, uses `cleanup`
 * and so goes ahead of new associations; a scheduled refresh starts with `calls` 4 and yields to
 * a rollout a person started (3).
 */
export const CALL_PRIORITY = { cleanup: 1, person: 3, scheduledRefresh: 4 } as const;

const priorityKey = z
  .number()
  .int()
  .min(1, 'must be 1 (first) to 5 (last)')
  .max(5, 'must be 1 (first) to 5 (last)');

export const callPriority = z
  .object({
    /** Staging, publishing and associating. */
    calls: priorityKey.default(CALL_PRIORITY.person),
    /** A rollback (failure policy `rollback`, or a cancellation's cleanup). */
    cleanup: priorityKey.default(CALL_PRIORITY.cleanup),
  })
  .strict();
export type CallPriority = z.infer<typeof callPriority>;

/**
 * The task queue priority of the AWS calls of the package removal, the data source attachment and
 * the IoT release (src/model/call-priority.ts; the dictionary rollout has its own step,
 * dictionary-rollout/priority.ts). When the fleet's AWS call budget holds calls back, the queued
 * call with the lowest key is handed out first (docs/rate-limits.md).
 *
 * Runs started before the patch schedule their activities without a priority, as they did:
 * `patched()` is asked at each call (the SDK remembers the answer for the run), so a history
 * recorded before it replays unchanged.
 */
import { patched, type ActivityOptions } from '@temporalio/workflow';
import type { CallPriority } from '../model/call-priority.js';
import { Patches } from './patches.js';

/** Which of the run's keys a call uses: `cleanup` for steps that undo (dissociate, delete), else `calls`. */
export type CallKind = keyof CallPriority;

export function callPriorityOptions(
  priority: CallPriority,
  kind: CallKind = 'calls',
): Pick<ActivityOptions, 'priority'> {
  if (!patched(Patches.otherWorkflowsCallPriority)) return {};
  return { priority: { priorityKey: priority[kind] } };
}

/**
 * A line of the Web UI's current details (setCurrentDetails) saying what a run's AWS calls wait
 * for. The workflow cannot see the task queue, so it says where to look: a call the fleet's budget
 * holds back is listed under *Pending Activities* as *Scheduled* (`rollouts status` and `watch`
 * count them), handed out by priority key.
 */
export function budgetWaitLine(priority: CallPriority, kind: CallKind = 'calls'): string {
  return (
    `AWS calls at priority **${priority[kind]}** (1 first, 5 last; cleanup ${priority.cleanup}). ` +
    'A call listed as *Scheduled* under Pending Activities is queued for the AWS call budget.'
  );
}

/**
 * The task queue priority of an AWS call made in a place (Region + account, src/model/place.ts),
 * for the fleet workflows: `priorityKey` orders the calls (rollback first, call-priority.ts), and
 * `fairnessKey` = placeKey(place) gives every place its own share of the task queue. On a server
 * with fairness on (`matching.enableFairness`) and a per-key rate limit on the task queue
 * (`temporal task-queue config set --task-queue-type activity --fairness-key-rps-limit-default R`),
 * that share is a per-place AWS call budget on ONE task queue, measured on Server 1.32 in
 * docs/rate-limits.md ("Fleets"). Without the per-key limit, fairness still shares the queue's
 * rate evenly between places, so one busy place cannot starve another.
 *
 * The caller puts it behind its own `patched()` id, as it changes what is scheduled.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import type { CallPriority } from '../model/call-priority.js';
import { placeKey, type Place } from '../model/place.js';
import type { CallKind } from './call-priority.js';

export function placeCallPriority(
  priority: CallPriority,
  place: Place | undefined,
  kind: CallKind = 'calls',
): NonNullable<ActivityOptions['priority']> {
  // No place: the worker's own account and Region, one key for all of its calls.
  return { priorityKey: priority[kind], fairnessKey: placeKey(place) };
}

/**
 * The task queue priority of each AWS call of a dictionary rollout (src/model/call-priority.ts):
 * the run's `priority.cleanup` while it rolls back, `priority.calls` otherwise. Runs started
 * before the patch schedule their activities without a priority, as they did.
 */
import { patched, type ActivityOptions } from '@temporalio/workflow';
import type { Place } from '../../model/place.js';
import { Patches } from '../patches.js';
import { placeCallPriority } from '../place-priority.js';
import type { DictionaryRolloutState } from './state.js';

export function callPriority(state: DictionaryRolloutState): Pick<ActivityOptions, 'priority'> {
  if (!patched(Patches.awsCallPriority)) return {};
  const { calls, cleanup } = state.input.priority;
  return { priority: { priorityKey: state.phase === 'rolling-back' ? cleanup : calls } };
}

/**
 * A fleet run's call at a place: the same key, and the place as the fairness key, so that on a
 * server with fairness on each place gets its own share (and, with a per-key limit, its own AWS
 * call budget) of the one task queue (docs/rate-limits.md, "Fleets").
 */
export function fleetCallPriority(
  state: DictionaryRolloutState,
  place: Place | undefined,
): Pick<ActivityOptions, 'priority'> {
  if (!patched(Patches.awsCallPriority)) return {};
  return {
    priority: placeCallPriority(
      state.input.priority,
      place,
      state.phase === 'rolling-back' ? 'cleanup' : 'calls',
    ),
  };
}

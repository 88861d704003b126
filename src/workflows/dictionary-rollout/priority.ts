/**
 * The task queue priority of each AWS call of a dictionary rollout (src/model/call-priority.ts):
 * the run's `priority.cleanup` while it rolls back, `priority.calls` otherwise. Runs started
 * before the patch schedule their activities without a priority, as they did.
 */
import { patched, type ActivityOptions } from '@temporalio/workflow';
import { Patches } from '../patches.js';
import type { DictionaryRolloutState } from './state.js';

export function callPriority(state: DictionaryRolloutState): Pick<ActivityOptions, 'priority'> {
  if (!patched(Patches.awsCallPriority)) return {};
  const { calls, cleanup } = state.input.priority;
  return { priority: { priorityKey: state.phase === 'rolling-back' ? cleanup : calls } };
}

/**
 * The shared AWS call budget of a worker fleet (docs/rate-limits.md). Every activity of the
 * rollouts is one AWS call, and a poll is one activity attempt, so the rate at which the task
 * queue hands out activity tasks is the rate of AWS calls. Temporal enforces that rate on the
 * server for the whole task queue (`maxTaskQueueActivitiesPerSecond`), across every worker that
 * polls it: a burst of starts queues in Temporal instead of being throttled by AWS. One task queue
 * serves one AWS account and Region (the workers' credentials and AWS_REGION), so the budget is
 * per account and Region; a fleet serving several runs a task queue per place.
 *
 * ROLLOUTS_AWS_CALLS_PER_SECOND: unset = no budget (each call is limited only by AWS).
 */
import { ConfigError } from '../config.js';

export const AWS_CALLS_PER_SECOND = 'ROLLOUTS_AWS_CALLS_PER_SECOND';

/** Above any AWS control-plane limit: a larger value is a typo, not a budget. */
const MAX_CALLS_PER_SECOND = 1000;

export interface AwsCallBudget {
  /** Activity tasks per second for the whole task queue, or undefined for no budget. */
  callsPerSecond?: number;
}

export function loadAwsCallBudget(env: NodeJS.ProcessEnv = process.env): AwsCallBudget {
  const raw = env[AWS_CALLS_PER_SECOND];
  if (raw === undefined || raw === '') return {};
  const value = Number(raw);
  if (raw.trim() !== raw || !Number.isFinite(value) || value <= 0 || value > MAX_CALLS_PER_SECOND) {
    throw new ConfigError(
      `${AWS_CALLS_PER_SECOND} must be a number of calls per second above 0 and at most ${MAX_CALLS_PER_SECOND} (e.g. 8 for an account and Region that AWS allows 10/s), got '${raw}'`,
    );
  }
  return { callsPerSecond: value };
}

/**
 * The worker options that apply the budget: a server-side rate for the task queue's activities;
 * and no eager activity dispatch, budget or not. An eagerly dispatched activity is handed back to
 * the worker with its workflow task's completion and never passes the task queue's matching, so
 * neither a rate set on the server (`temporal task-queue config set --queue-rps-limit` or
 * `--fairness-key-rps-limit-default`) nor the priority order applies to it: on Server 1.32 a place
 * limited to 4 calls/s made 16.9/s with eager dispatch on and 4.0/s with it off
 * (bench/fairness-probe.ts, docs/rate-limits.md). The SDK itself turns eager dispatch off only
 * when the worker sets the rate (maxTaskQueueActivitiesPerSecond).
 */
export function budgetWorkerOptions(budget: AwsCallBudget): {
  maxTaskQueueActivitiesPerSecond?: number;
  maxEagerActivityReservationsPerWorkflowTask: number;
} {
  return {
    maxEagerActivityReservationsPerWorkflowTask: 0,
    ...(budget.callsPerSecond !== undefined
      ? { maxTaskQueueActivitiesPerSecond: budget.callsPerSecond }
      : {}),
  };
}

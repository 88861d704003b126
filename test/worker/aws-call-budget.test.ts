import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { budgetWorkerOptions, loadAwsCallBudget } from '../../src/worker/aws-call-budget.js';
import { spawnWorker } from '../helpers/worker-process.js';

describe('the worker fleet AWS call budget (ROLLOUTS_AWS_CALLS_PER_SECOND)', () => {
  it('stops the worker at start on a bad value, naming the variable', async () => {
    const worker = spawnWorker({ ROLLOUTS_AWS_CALLS_PER_SECOND: 'ten' });
    expect(await worker.exited).toBe(78);
    expect(worker.output()).toMatch(
      /configuration error: ROLLOUTS_AWS_CALLS_PER_SECOND must be a number of calls per second above 0 and at most 1000 .*got 'ten'/,
    );
  });

  it('becomes the task queue activity rate, with no eager dispatch; unset means no budget; 0, negatives and huge values are refused', () => {
    expect(budgetWorkerOptions(loadAwsCallBudget({ ROLLOUTS_AWS_CALLS_PER_SECOND: '7.5' }))).toEqual({
      maxTaskQueueActivitiesPerSecond: 7.5,
      maxEagerActivityReservationsPerWorkflowTask: 0,
    });
    // No budget on the worker: still no eager dispatch, so a rate or per-place limit set on the
    // task queue by an operator (and the priority order) applies to every call.
    expect(budgetWorkerOptions(loadAwsCallBudget({}))).toEqual({
      maxEagerActivityReservationsPerWorkflowTask: 0,
    });
    for (const bad of ['0', '-1', '5000', ' 5', 'Infinity'])
      expect(() => loadAwsCallBudget({ ROLLOUTS_AWS_CALLS_PER_SECOND: bad })).toThrow(ConfigError);
  });
});

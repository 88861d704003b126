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

  it('becomes the task queue activity rate; unset means no budget; 0, negatives and huge values are refused', () => {
    expect(budgetWorkerOptions(loadAwsCallBudget({ ROLLOUTS_AWS_CALLS_PER_SECOND: '7.5' }))).toEqual({
      maxTaskQueueActivitiesPerSecond: 7.5,
    });
    expect(budgetWorkerOptions(loadAwsCallBudget({}))).toEqual({});
    for (const bad of ['0', '-1', '5000', ' 5', 'Infinity'])
      expect(() => loadAwsCallBudget({ ROLLOUTS_AWS_CALLS_PER_SECOND: bad })).toThrow(ConfigError);
  });
});

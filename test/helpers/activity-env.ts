import type { MockActivityEnvironment } from '@temporalio/testing';

/**
 * `MockActivityEnvironment.run` infers its parameter types from the arguments (widening literal
 * unions such as `action: 'PUBLISH'` to `string`), so a correctly typed call fails to compile.
 * This wrapper takes the types from the activity instead.
 */
export function runActivity<F extends (...args: never[]) => Promise<unknown>>(
  env: MockActivityEnvironment,
  activity: F,
  ...args: Parameters<F>
): Promise<Awaited<ReturnType<F>>> {
  return env.run(activity as never, ...(args as never[])) as Promise<Awaited<ReturnType<F>>>;
}

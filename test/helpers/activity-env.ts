import type { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { awsClientsFor } from './aws.js';

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

/**
 * An emulator for activity tests, with the worker's AWS clients pointed at it (only the endpoint
 * and test credentials differ from production). `maxAttempts: 1` turns the SDK's own resends off.
 */
export function useActivityEmulator(options: { maxAttempts?: number } = {}): {
  emulator: () => RunningEmulator;
  aws: () => AwsClients;
} {
  let emulator: RunningEmulator | undefined;
  let aws: AwsClients | undefined;
  beforeAll(async () => {
    emulator = await startEmulator();
    aws = awsClientsFor(emulator, options.maxAttempts);
  });
  afterAll(async () => {
    if (aws) destroyAwsClients(aws);
    await emulator?.stop();
  });
  return { emulator: () => emulator!, aws: () => aws! };
}

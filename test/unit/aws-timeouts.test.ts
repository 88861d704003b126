import { DescribePackagesCommand } from '@aws-sdk/client-opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsTimeoutsFromEnv, createAwsClients, destroyAwsClients } from '../../src/aws/clients.js';
import { ConfigError } from '../../src/config.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

describe("the worker's AWS clients have explicit network timeouts", () => {
  it('defaults to 5 s to connect and 20 s without a byte; both configurable; bad values named', () => {
    expect(awsTimeoutsFromEnv({})).toEqual({ connectionTimeout: 5_000, socketTimeout: 20_000 });
    expect(
      awsTimeoutsFromEnv({
        ROLLOUTS_AWS_CONNECT_TIMEOUT_MS: '1500',
        ROLLOUTS_AWS_REQUEST_TIMEOUT_MS: '9000',
      }),
    ).toEqual({ connectionTimeout: 1_500, socketTimeout: 9_000 });
    for (const bad of ['0', '-5', '1.5', 'ten', '700000'])
      expect(() => awsTimeoutsFromEnv({ ROLLOUTS_AWS_REQUEST_TIMEOUT_MS: bad })).toThrow(
        new ConfigError(
          `ROLLOUTS_AWS_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000, got '${bad}'`,
        ),
      );
  });

  it('a read that hangs ends at the request timeout (with the SDK retries), not never', async () => {
    const aws = createAwsClients(
      {
        endpoint: emulator.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        maxAttempts: 2,
      },
      { ROLLOUTS_AWS_REQUEST_TIMEOUT_MS: '300' },
    );
    try {
      await emulator.control.addFault({ service: 'es', operation: 'DescribePackages', hangProbability: 1 });
      const err = await aws.opensearch.send(new DescribePackagesCommand({})).catch((e: unknown) => e);
      expect((err as Error).name).toBe('TimeoutError');
      let calls = await emulator.control.calls({ operation: 'DescribePackages' });
      for (let i = 0; i < 50 && calls.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        calls = await emulator.control.calls({ operation: 'DescribePackages' });
      }
      // The SDK retried the timed-out attempt once (maxAttempts 2): both hung, both given up.
      expect(calls.map((c) => c.fault)).toEqual(['hang', 'hang']);
    } finally {
      destroyAwsClients(aws);
    }
  });
});

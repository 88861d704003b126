import { createEmulatorAwsClients, type AwsClients } from '../../src/aws/clients.js';
import type { RunningEmulator } from '../../src/emulator/server.js';

/** The tests' AWS credentials (the history secrets test looks for them in every history). */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** Clients for a test's emulator, signed with the tests' credentials. */
export function awsClientsFor(emulator: RunningEmulator, maxAttempts?: number): AwsClients {
  return createEmulatorAwsClients(emulator.url, { credentials: TEST_CREDENTIALS, maxAttempts });
}

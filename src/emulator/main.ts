/**
 * CLI: `npm run emulator -- --port 4566 [--host h] [--state-file f] [--seed n] [--seed-domains a,b,c]
 * [--region r] [--account-id id]`. Prints one line, `emulator listening on <url>`, once requests are
 * accepted; SIGINT/SIGTERM stop it after the state file has been written.
 */
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorOptions } from './server.js';

function usage(message: string): never {
  console.error(`emulator: ${message}`);
  console.error(
    'usage: emulator [--port n] [--host h] [--state-file f] [--seed n] [--seed-domains a,b,c] [--region r] [--account-id id]',
  );
  process.exit(2);
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'state-file': { type: 'string' },
        seed: { type: 'string' },
        'seed-domains': { type: 'string' },
        region: { type: 'string' },
        'account-id': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const port = integer(values.port, 'port');
  const seed = integer(values.seed, 'seed');
  const options: EmulatorOptions = {
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values['state-file'] !== undefined ? { stateFile: values['state-file'] } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values['account-id'] !== undefined ? { accountId: values['account-id'] } : {}),
  };
  const emulator = await startEmulator(options);
  const seedDomains = (values['seed-domains'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (seedDomains.length > 0) await emulator.control.seedDomains(seedDomains.map((name) => ({ name })));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    emulator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`emulator: error while stopping on ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(`emulator listening on ${emulator.url}`);
}

main().catch((err: unknown) => {
  console.error('emulator: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});

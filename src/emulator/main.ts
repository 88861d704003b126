/**
 * CLI: `npm run emulator -- --port 4566 [--host h] [--state-file f] [--seed n] [--seed-domains a,b,c]
 * [--domain-backing name=endpoint,configDir[,vpc] ...] [--region r] [--account-id id]
 * [--rate-limit es[=rate[,burst]] ...] [--role arn[,externalId] ...]`. `--role` (repeatable) registers an
 * IAM role its STS lets callers assume (sts.ts): keys handed out for it act in the role's account. `--rate-limit` (repeatable; es, iot, s3, monitoring or sts) enforces AWS's
 * request rate per account and Region (rate-limits.ts; without numbers, the assumed AWS limit). Prints one
 * line, `emulator listening on <url>`, once requests are accepted; SIGINT/SIGTERM stop it after the
 * state file has been written. `--domain-backing` (repeatable) seeds the domain if it is missing and
 * backs it by the real OpenSearch node at `endpoint` whose config directory is `configDir`
 * (control-client.ts backDomain).
 */
import { parseArgs } from 'node:util';
import { parseRateLimitFlag, type RateLimits } from './rate-limits.js';
import { parseRoleFlag } from './sts-roles.js';
import type { RoleSpec } from './types.js';
import { startEmulator, type DomainBacking, type EmulatorOptions } from './server.js';

function usage(message: string): never {
  console.error(`emulator: ${message}`);
  console.error(
    'usage: emulator [--port n] [--host h] [--state-file f] [--seed n] [--seed-domains a,b,c] [--domain-backing name=endpoint,configDir[,vpc] ...] [--region r] [--account-id id] [--rate-limit es[=rate[,burst]] ...] [--role arn[,externalId] ...]',
  );
  process.exit(2);
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

/** `name=endpoint,configDir[,vpc]`; the control API checks the endpoint and the path. */
function parseBacking(value: string): { name: string; backing: DomainBacking } {
  const eq = value.indexOf('=');
  const [endpoint, configDir, flag, ...rest] = value.slice(eq + 1).split(',');
  if (eq <= 0 || !endpoint || !configDir || (flag !== undefined && flag !== 'vpc') || rest.length > 0) {
    usage(`--domain-backing must be name=endpoint,configDir[,vpc], got ${value}`);
  }
  return {
    name: value.slice(0, eq),
    backing: { endpoint, configDir, ...(flag === 'vpc' ? { vpc: true } : {}) },
  };
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
        'domain-backing': { type: 'string', multiple: true },
        region: { type: 'string' },
        'account-id': { type: 'string' },
        'rate-limit': { type: 'string', multiple: true },
        role: { type: 'string', multiple: true },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const port = integer(values.port, 'port');
  const backings = (values['domain-backing'] ?? []).map(parseBacking);
  const seed = integer(values.seed, 'seed');
  const rateLimits: RateLimits = {};
  for (const flag of values['rate-limit'] ?? []) {
    try {
      const { family, limit } = parseRateLimitFlag(flag);
      rateLimits[family] = limit;
    } catch (err) {
      usage(err instanceof Error ? err.message : String(err));
    }
  }
  const roles: RoleSpec[] = [];
  for (const flag of values.role ?? []) {
    try {
      roles.push(parseRoleFlag(flag));
    } catch (err) {
      usage(err instanceof Error ? err.message : String(err));
    }
  }
  const options: EmulatorOptions = {
    ...(roles.length > 0 ? { roles } : {}),
    ...(Object.keys(rateLimits).length > 0 ? { rateLimits } : {}),
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
  for (const { name, backing } of backings) {
    await emulator.control.seedDomains([{ name }]);
    await emulator.control.backDomain(name, backing).catch((err: unknown) => {
      usage(`--domain-backing ${name}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

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

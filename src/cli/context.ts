import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadTemporalConfig, type TemporalConfig } from '../config.js';
import { startTracingFromEnv, type Tracing } from '../tracing/index.js';
import { str, type Values } from './args.js';
import { TemporalUnreachableError, UsageError } from './errors.js';
import type { Output } from './output.js';

export interface CommandContext {
  /** The command as typed: 'dictionary', 'schedule create'. */
  command: string;
  values: Values;
  positionals: string[];
  out: Output;
  env: NodeJS.ProcessEnv;
  /** Connection settings: the environment (loadTemporalConfig) overridden by flags. */
  config(): TemporalConfig;
  /** A connected client, made on first use; a server that does not answer is exit code 3. */
  client(): Promise<Client>;
  /** Resources to release when the command ends (connections, AWS clients, servers). */
  onClose(fn: () => Promise<void> | void): void;
}

const DEFAULT_CONNECT_TIMEOUT_S = 5;

/** Flags win over the environment; a bad value names the flag or the variable it came from. */
export function temporalConfigFrom(env: NodeJS.ProcessEnv, values: Values): TemporalConfig {
  const address = str(values, 'address');
  const namespace = str(values, 'namespace');
  const taskQueue = str(values, 'task-queue');
  try {
    return loadTemporalConfig({
      ...env,
      ...(address !== undefined ? { TEMPORAL_ADDRESS: address } : {}),
      ...(namespace !== undefined ? { TEMPORAL_NAMESPACE: namespace } : {}),
      ...(taskQueue !== undefined ? { ROLLOUTS_TASK_QUEUE: taskQueue } : {}),
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    let message = err.message;
    if (address !== undefined) message = message.replace('TEMPORAL_ADDRESS', '--address');
    if (namespace !== undefined) message = message.replace('TEMPORAL_NAMESPACE', '--namespace');
    if (taskQueue !== undefined) message = message.replace('ROLLOUTS_TASK_QUEUE', '--task-queue');
    throw new ConfigError(message);
  }
}

export async function connectClient(
  config: TemporalConfig,
  connectTimeoutMs: number,
  tracing?: Tracing,
): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.address,
      connectTimeout: connectTimeoutMs,
      ...(config.tls ? { tls: config.tls } : {}),
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    });
  } catch (err) {
    throw new TemporalUnreachableError(
      config.address,
      config.namespace,
      `no answer within ${connectTimeoutMs / 1000} s (${(err as Error).message})`,
    );
  }
  // The same data converter as the workers: with ROLLOUTS_PAYLOAD_KEY set, inputs are encrypted.
  return new Client({
    connection,
    namespace: config.namespace,
    ...(config.dataConverter ? { dataConverter: config.dataConverter } : {}),
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
}

export function createContext(init: {
  command: string;
  values: Values;
  positionals: string[];
  out: Output;
  env: NodeJS.ProcessEnv;
}): CommandContext & { close(): Promise<void> } {
  const closers: Array<() => Promise<void> | void> = [];
  let config: TemporalConfig | undefined;
  let client: Promise<Client> | undefined;
  const ctx = {
    ...init,
    config() {
      config ??= temporalConfigFrom(init.env, init.values);
      return config;
    },
    client() {
      client ??= (async () => {
        const raw = str(init.values, 'connect-timeout');
        const timeoutS = raw === undefined ? DEFAULT_CONNECT_TIMEOUT_S : Number(raw);
        if (!Number.isFinite(timeoutS) || timeoutS <= 0)
          throw new UsageError(
            `--connect-timeout must be a positive number of seconds, got '${raw}'`,
            init.command,
          );
        // OTEL_* on: the starts, signals and queries this command makes are traced (docs/tracing.md).
        const tracing = await startTracingFromEnv(init.env, 'package-rollouts-cli');
        if (tracing) closers.push(() => tracing.shutdown());
        const c = await connectClient(ctx.config(), timeoutS * 1000, tracing);
        closers.push(() => c.connection.close());
        return c;
      })();
      return client;
    },
    onClose(fn: () => Promise<void> | void) {
      closers.push(fn);
    },
    async close() {
      for (const fn of closers.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
    },
  };
  return ctx;
}

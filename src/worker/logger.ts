import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** One JSON object per line on stderr: what log shippers expect, and greppable by hand. */
export function createJsonLogger(level: LogLevel): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const { meta, ...rest } = entry;
    const line = {
      ts: new Date(Number(rest.timestampNanos / 1_000_000n)).toISOString(),
      level: rest.level,
      msg: rest.message,
      ...(meta ?? {}),
    };
    process.stderr.write(`${JSON.stringify(line, bigintSafe)}\n`);
  });
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

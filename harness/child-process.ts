/**
 * A child process whose output is read for lines: how tests, chaos and benchmarks run workers, the
 * emulator and scripts as their own processes (as `npm run ...` does) and wait until they say they
 * are ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr as they came, the last `keepChars` of them. */
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** The first line matching `pattern`, waiting for it; throws if the process ends first or time runs out. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export function spawnProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; keepChars?: number } = {},
): RunningProcess {
  const child = spawn(command, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = options.keepChars ?? 200_000;
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-keep);
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const what = `${command} ${args.join(' ')}`;
  return {
    child,
    output: () => out,
    exited,
    async waitForLine(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = out.split('\n').find((l) => pattern.test(l));
        if (line) return line;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(
            `${what} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}`,
          );
        if (Date.now() > deadline)
          throw new Error(`${what}: no line matching ${pattern} within ${timeoutMs} ms:\n${out}`);
        await new Promise<void>((wake) => {
          waiters.push(wake);
          setTimeout(wake, 200);
        });
      }
    },
  };
}

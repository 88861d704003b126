import { spawn, type ChildProcess } from 'node:child_process';

export interface CliRun {
  code: number | string;
  stdout: string;
  stderr: string;
  /** stdout as one JSON document. */
  json<T = Record<string, unknown>>(): T;
  /** stdout as JSON lines (watch --json, dev --json). */
  lines<T = Record<string, unknown>>(): T[];
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  ended: Promise<CliRun>;
  /** Resolves once stdout or stderr has a line matching the pattern. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** The CLI as users run it from a checkout (`npm run rollouts` = tsx), as its own process. */
export function startCli(args: string[], env: Record<string, string | undefined>): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    wake();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    wake();
  });
  const ended = new Promise<CliRun>((resolve) =>
    child.on('close', (code, signal) => resolve(cliRun(code ?? signal ?? -1, stdout, stderr))),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    ended,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = `${stdout}\n${stderr}`.split('\n').find((l) => pattern.test(l));
        if (line) return line;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`CLI ended before ${pattern}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`no line matching ${pattern}:\n${stdout}\n${stderr}`);
        await new Promise<void>((r) => {
          const w = () => {
            waiters.delete(w);
            r();
          };
          waiters.add(w);
          setTimeout(w, 200);
        });
      }
    },
  };
}

export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return startCli(args, env).ended;
}

/** A finished CLI run, with its stdout read as one JSON document or as JSON lines. */
export function cliRun(code: number | string, stdout: string, stderr: string): CliRun {
  return {
    code,
    stdout,
    stderr,
    json: <T>() => {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`stdout is not one JSON document:\n${stdout}\nstderr:\n${stderr}`);
      }
    },
    lines: <T>() =>
      stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as T),
  };
}

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * The shared ladder every tool the tests and the demo need is provisioned by (the Temporal CLI,
 * the browser for the Web UI test, the OpenSearch node launcher, the contract test's Python
 * packages): try each route in order — an explicit variable, PATH, the cache outside the clone, an
 * install — printing what each one does, and end with one message that names the fix when none
 * works.
 */

export type Log = (message: string) => void;

export const stderrLog: Log = (m) => process.stderr.write(`${m}\n`);

/**
 * One way of getting a tool. `find` returns the tool, or a string saying why this route does not
 * apply (printed, then the next route is tried); a thrown error is a route that failed (printed
 * too, then the next route is tried).
 */
export interface Route<T> {
  name: string;
  find(): Promise<T | string> | T | string;
}

export interface Tool<T> {
  /** What is being provisioned, e.g. "Temporal CLI". */
  name: string;
  routes: Route<T>[];
  /** What the user can do when every route failed. */
  fix: string;
  /** How the found tool is printed (its path, say). */
  describe(found: T): string;
}

export class ProvisioningError extends Error {
  override name = 'ProvisioningError';
}

export async function provision<T>(tool: Tool<T>, log: Log = stderrLog): Promise<T> {
  const tried: string[] = [];
  for (const route of tool.routes) {
    let found: T | string;
    try {
      found = await route.find();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      tried.push(`${route.name}: ${message}`);
      log(`${tool.name}: ${route.name} failed: ${message} — trying the next route`);
      continue;
    }
    if (typeof found !== 'string') {
      log(`${tool.name}: ${tool.describe(found)} (${route.name})`);
      return found;
    }
    tried.push(`${route.name}: ${found || 'nothing there'}`);
    if (found) log(`${tool.name}: ${route.name}: ${found}`);
  }
  throw new ProvisioningError(
    `no ${tool.name} could be provisioned.\n  ${tried.join('\n  ')}\nFix: ${tool.fix}`,
  );
}

/** `${XDG_CACHE_HOME:-~/.cache}/package-rollouts/<name>`: outside the clone, shared by clones and CI runs. */
export function cacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'package-rollouts', name);
}

export function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Refuses a file whose sha256 is not the pinned one (and deletes it, so it is never used). */
export async function checkSha256(path: string, expected: string, what: string): Promise<void> {
  const actual = await sha256File(path);
  if (actual === expected) return;
  rmSync(path, { force: true });
  throw new Error(
    `${what} has sha256 ${actual}, not the pinned ${expected}: refused (corrupted or substituted download), deleted`,
  );
}

/**
 * Runs `fn` holding a lock directory in `dir`, so two processes (two test runs, two clones) never
 * install the same thing at once; a waiter rechecks `done()` and returns as soon as it is true.
 */
export async function withLock<T>(
  dir: string,
  done: () => boolean,
  fn: () => Promise<T>,
  log: Log,
): Promise<T | undefined> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.installing');
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (done()) return undefined;
      // A lock older than an hour is from a process that died mid-install.
      const lockedAt = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAt > 3_600_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 30 * 60_000)
        throw new Error(`gave up waiting for another install (${lock})`);
      if (!told) log(`  another process is installing into ${dir}; waiting for it`);
      told = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    // The one who held the lock before may have finished the job.
    return done() ? undefined : await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Runs a command, printing its output lines (indented) and, every 30 s, how long it has run:
 * installs are long and a silent terminal looks hung.
 */
export async function runWithProgress(
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    log: Log;
    what: string;
    quiet?: boolean;
    cwd?: string;
    /** With `quiet`, how many of the last output lines the error quotes [3]. */
    tailLines?: number;
  },
): Promise<void> {
  const started = Date.now();
  const timer = setInterval(
    () => options.log(`  ...still ${options.what} (${Math.round((Date.now() - started) / 1000)} s)`),
    30_000,
  );
  let tail = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const forward = (chunk: Buffer) => {
        const text = chunk.toString();
        tail = (tail + text).slice(-8000);
        if (options.quiet) return;
        for (const line of text.split(/\r?\n|\r/)) if (line.trim()) options.log(`  ${line.trimEnd()}`);
      };
      child.stdout.on('data', forward);
      child.stderr.on('data', forward);
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0
          ? resolve()
          : reject(
              new Error(
                `\`${command} ${args.join(' ')}\` exited with ${code ?? signal}${options.quiet ? `: ${lastLines(tail, options.tailLines ?? 3)}` : ''}`,
              ),
            ),
      );
    });
  } finally {
    clearInterval(timer);
  }
}

function lastLines(text: string, n: number): string {
  return text
    .trim()
    .split(/\r?\n/)
    .slice(-n)
    .join(n > 3 ? '\n' : ' / ');
}

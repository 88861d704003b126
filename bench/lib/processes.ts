import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnProcess } from '../../harness/child-process.js';

/** The repository root (bench/lib/ -> ../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel build. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ChildHandle {
  child: ChildProcess;
  /** The pid of the measured process (under /usr/bin/time it is time's child, not `child.pid`). */
  pid: number;
  output(): string;
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns a process and waits for a line matching `ready` on its stdout/stderr. `pidFrom` extracts
 * the measured pid from that line (e.g. `pid=1234`) when the process runs under a wrapper.
 */
export async function spawnAndWait(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number; pidFrom?: RegExp },
): Promise<ChildHandle & { readyLine: string }> {
  const proc = spawnProcess(command, args, { cwd: REPO_ROOT, env: options.env ?? process.env });
  const { child, exited } = proc;
  const readyLine = await proc.waitForLine(options.ready, options.timeoutMs ?? 120_000).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  const pidMatch = options.pidFrom ? options.pidFrom.exec(readyLine) : null;
  const pid = pidMatch?.[1] ? Number(pidMatch[1]) : child.pid!;
  return {
    child,
    pid,
    readyLine,
    output: proc.output,
    exited,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      // Under /usr/bin/time the signal must reach the measured process; time then exits with it.
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface ProcSample {
  /** CPU time used so far (user + system, all threads), ms. */
  cpuMs: number;
  userMs: number;
  systemMs: number;
  /** Resident set size now, bytes (VmRSS). */
  rssBytes: number;
  /** Peak resident set size, bytes (VmHWM: since start, or since the last resetPeakRss). */
  peakRssBytes: number;
}

/** Reads the OS's accounting of one process from /proc (Linux). */
export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3: state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const userMs = (utime * 1000) / CLOCK_TICKS_PER_SECOND;
  const systemMs = (stime * 1000) / CLOCK_TICKS_PER_SECOND;
  return {
    cpuMs: userMs + systemMs,
    userMs,
    systemMs,
    rssBytes: kib('VmRSS') * 1024,
    peakRssBytes: kib('VmHWM') * 1024,
  };
}

/** Resets VmHWM to the current RSS (Linux >= 4.0, `echo 5 > /proc/pid/clear_refs`). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface TimeVerbose {
  userSeconds: number;
  systemSeconds: number;
  maxRssKib: number;
  wall: string;
}

/** Parses GNU `/usr/bin/time -v` output. */
export function parseTimeVerbose(text: string): TimeVerbose | undefined {
  const num = (label: string) => {
    const m = new RegExp(`${label}:\\s*([\\d.]+)`).exec(text);
    return m?.[1] !== undefined ? Number(m[1]) : undefined;
  };
  const user = num('User time \\(seconds\\)');
  const system = num('System time \\(seconds\\)');
  const rss = num('Maximum resident set size \\(kbytes\\)');
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*(\S+)/.exec(text)?.[1];
  if (user === undefined || system === undefined || rss === undefined) return undefined;
  return { userSeconds: user, systemSeconds: system, maxRssKib: rss, wall: wall ?? '' };
}

export const GNU_TIME = '/usr/bin/time';
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** `node --import tsx <script>`: TypeScript from source, as `npm run` scripts do. */
export function tsxArgs(script: string): string[] {
  return ['--import', 'tsx', script];
}

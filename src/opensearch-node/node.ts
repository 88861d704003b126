/**
 * Starts a real OpenSearch node (the launcher in opensearch-node/, built by provision.ts) as a
 * child JVM with its own home and data directories, and waits until it answers. Several nodes can
 * run at once (say, two emulated domains on different package versions): each binds free ports.
 *
 * The node is the real engine except one route, `POST /_plugins/_refresh_search_analyzers/...`,
 * which a test-only stand-in plugin in the launcher serves with the index-management plugin's
 * answer shape (that plugin is not published to Maven Central).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LAUNCHER_MAIN_CLASS,
  provisionOpenSearchNode,
  type Log,
  type ProvisionedLauncher,
} from './provision.js';

export interface OpenSearchNode {
  /** `http://127.0.0.1:<port>`: plain HTTP, no authentication. */
  endpoint: string;
  /** `<home>/config`: analyzer files named by relative path (`analyzers/F1`) resolve here. */
  configDir: string;
  home: string;
  /** The node's log (stderr); the detail behind a 400 "Failed to build synonyms" is only here. */
  logFile: string;
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where to put home/ and data/; a fresh temporary directory (removed by stop) when absent. */
  baseDir?: string;
  log?: Log;
  launcher?: ProvisionedLauncher;
  /** Give up when the node has not answered by then [120 s: a cold JVM on a busy 2-core machine]. */
  readyTimeoutMs?: number;
}

const READY_PREFIX = 'OPENSEARCH_NODE_READY ';

/** Small heap, serial GC and the C1 compiler only: a test node starts faster and stays near 230 MiB. */
export const NODE_JVM_OPTIONS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
  '-Dlog4j2.disable.jmx=true',
  '-Dfile.encoding=UTF-8',
];

export async function startOpenSearchNode(options: StartOptions = {}): Promise<OpenSearchNode> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const launcher = options.launcher ?? (await provisionOpenSearchNode({ log }));
  const ownsBase = options.baseDir === undefined;
  const base = options.baseDir ?? mkdtempSync(join(tmpdir(), 'opensearch-node-'));
  const home = join(base, 'home');
  const data = join(base, 'data');
  const configDir = join(home, 'config');
  mkdirSync(join(home, 'logs'), { recursive: true });
  mkdirSync(configDir, { recursive: true });
  mkdirSync(data, { recursive: true });
  const logFile = join(home, 'logs', 'node.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });

  // stdin stays open: the launcher stops its node when it reads end of file, so a node never
  // outlives the process that started it, even one killed without a chance to clean up.
  const child = spawn(
    launcher.java,
    [...NODE_JVM_OPTIONS, '-cp', launcher.classPath, LAUNCHER_MAIN_CLASS, home, data],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stderr.pipe(logStream);
  let exited: string | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `exit code ${code ?? signal}`;
      resolve();
    }),
  );

  const stop = async () => {
    if (exited === null) {
      child.stdin.end();
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exitPromise;
      clearTimeout(killer);
    }
    logStream.end();
    if (ownsBase) rmSync(base, { recursive: true, force: true });
  };

  try {
    const endpoint = await readyLine(child.stdout, () => exited, options.readyTimeoutMs ?? 120_000, logFile);
    await waitForHealth(endpoint, () => exited, options.readyTimeoutMs ?? 120_000, logFile);
    return { endpoint, configDir, home, logFile, pid: child.pid!, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

function readyLine(
  stdout: NodeJS.ReadableStream,
  exited: () => string | null,
  timeoutMs: number,
  logFile: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () =>
        reject(new Error(`the OpenSearch node did not bind HTTP within ${timeoutMs} ms (log: ${logFile})`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n')) {
        if (!line.startsWith(READY_PREFIX)) continue;
        clearTimeout(timer);
        stdout.off('data', onData);
        const { http } = JSON.parse(line.slice(READY_PREFIX.length)) as { http: string };
        resolve(`http://${http}`);
        return;
      }
    };
    stdout.on('data', onData);
    stdout.once('end', () => {
      clearTimeout(timer);
      reject(
        new Error(
          `the OpenSearch node stopped before it was ready (${exited() ?? 'no exit code'}; log: ${logFile})`,
        ),
      );
    });
  });
}

/** HTTP is bound before the single-node cluster has elected itself: wait for a health answer. */
async function waitForHealth(
  endpoint: string,
  exited: () => string | null,
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = exited();
    if (status !== null) throw new Error(`the OpenSearch node stopped (${status}; log: ${logFile})`);
    try {
      const res = await fetch(`${endpoint}/_cluster/health?wait_for_status=yellow&timeout=5s`, {
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `the OpenSearch node at ${endpoint} was not healthy within ${timeoutMs} ms (log: ${logFile})`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTE_DEFINITIONS } from '../model/search-attributes.js';
import { resolveTemporalCli, type Log, type TemporalCli } from './cli.js';

export interface DevServerOptions {
  cli?: TemporalCli;
  /** gRPC port; 0 = any free port. */
  port?: number;
  /** Web UI port; 0 = any free port. Ignored when headless. */
  uiPort?: number;
  headless?: boolean;
  /** Persist state to this SQLite file (survives restarts); in memory when omitted. */
  dbFile?: string;
  namespace?: string;
  /** Extra `--dynamic-config-value KEY=JSON` settings. */
  dynamicConfig?: Record<string, unknown>;
  log?: Log;
  /** Send the server's own output here (default: discarded). */
  serverOutput?: 'inherit' | 'ignore';
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
  pid?: number;
}

/**
 * How the server's matching hands out the rollouts' activity tasks (docs/rate-limits.md):
 * - Server 1.32 dispatches a task queue's tasks by `priorityKey` only with the new matcher, which
 *   the dev server leaves off (measured); the rollouts' rollback-first order depends on it.
 * - One partition per task queue: the fleet's AWS call budget (`maxTaskQueueActivitiesPerSecond`)
 *   is split evenly over the partitions, and a partition with nothing queued leaves its share
 *   unused. With the default partitions the server handed out 17.2 activities/s of a budget of 18
 *   (no-op activities, bench/limiter-probe.ts), with one 18.3/s. One partition is ample for tens of
 *   tasks per second, the rate AWS's control planes allow.
 * A server without a setting ignores it.
 */
export const TASK_QUEUE_DISPATCH = {
  'matching.useNewMatcher': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts `temporal server start-dev` with the project's search attributes registered, and waits
 * until its frontend answers. The SDK's own launcher waits only ~5 s, too little for a cold start
 * on a loaded 2-core machine, so this launcher owns the process and its readiness check.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const log = options.log ?? (() => {});
  const cli = options.cli ?? (await resolveTemporalCli({ log }));
  const namespace = options.namespace ?? 'default';
  if (cli.kind === 'sdk-download') return startWithSdkDownload(namespace);

  const port = options.port || (await freePort());
  const uiPort = options.headless ? undefined : options.uiPort || (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-level', 'error');
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS))
    args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries({ ...TASK_QUEUE_DISPATCH, ...options.dynamicConfig }))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const child = spawn(cli.path, args, { stdio: ['ignore', options.serverOutput ?? 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(address, namespace, child, () => stderr);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  log(`Temporal dev server ready at ${address}${uiPort ? ` (Web UI http://127.0.0.1:${uiPort})` : ''}`);
  return {
    address,
    namespace,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    pid: child.pid,
    stop: () => stopProcess(child),
  };
}

async function waitUntilReady(address: string, namespace: string, child: ChildProcess, stderr: () => string) {
  const deadline = Date.now() + 60_000;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  for (;;) {
    if (exited !== null) throw new Error(`temporal server start-dev exited with ${exited}: ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        // The namespace (and its search attributes) exist once this answers.
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal dev server at ${address} not ready after 60 s: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startWithSdkDownload(namespace: string): Promise<DevServer> {
  // Only on machines with internet and neither a binary nor Go; kept out of the common path.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      namespace,
      searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
    },
  });
  const address = env.connection.options.address;
  return { address, namespace, stop: () => env.teardown() };
}

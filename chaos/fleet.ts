/**
 * The processes the chaos suite abuses: worker processes (`src/worker/main.ts`, as `npm run worker`
 * runs it) that it SIGKILLs and restarts, and the Temporal dev server on a persisted database file
 * that it stops and starts again on the same file and port.
 */
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { spawnProcess } from '../harness/child-process.js';
import { startDevServer, type DevServer } from '../src/temporal/dev-server.js';
import type { TemporalCli } from '../src/temporal/cli.js';

export interface ManagedWorker {
  name: string;
  pid: number;
  /** The Temporal worker identity (the SDK's default: pid@hostname). */
  identity: string;
  child: ChildProcess;
  ready: boolean;
  /** Set when the suite killed it on purpose. */
  killedBy?: NodeJS.Signals;
  exited: Promise<number | string>;
  output(): string;
}

export interface UnexpectedExit {
  name: string;
  pid: number;
  code: number | string;
  /** It never got as far as polling (e.g. Temporal was down while it started: connect refused). */
  atStart: boolean;
  tail: string;
}

export class WorkerFleet {
  readonly workers = new Map<string, ManagedWorker>();
  readonly unexpectedExits: UnexpectedExit[] = [];
  starts = 0;
  private stopping = false;

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (m: string) => void,
  ) {}

  /** Spawns a worker and resolves once it has connected and is about to poll. */
  async start(name: string): Promise<ManagedWorker> {
    const proc = spawnProcess(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      keepChars: 20_000,
    });
    const { child, exited } = proc;
    this.starts++;
    const worker: ManagedWorker = {
      name,
      pid: child.pid ?? -1,
      identity: `${child.pid}@${hostname()}`,
      child,
      ready: false,
      exited,
      output: proc.output,
    };
    this.workers.set(name, worker);
    void exited.then((code) => {
      if (worker.killedBy || this.stopping) return;
      this.unexpectedExits.push({
        name,
        pid: worker.pid,
        code,
        atStart: !worker.ready,
        tail: proc.output().slice(-2000),
      });
      this.log(`worker ${name} (pid ${worker.pid}) exited on its own (${code}); restarting it`);
      if (this.workers.get(name) === worker) void this.start(name).catch(() => undefined);
    });
    await proc.waitForLine(/worker started/, 90_000).catch((err: Error) => {
      throw new Error(`worker ${name} did not start: ${err.message.slice(-3000)}`);
    });
    worker.ready = true;
    return worker;
  }

  /** SIGKILL: no shutdown, no graceful completion of anything in flight. */
  async kill(name: string): Promise<ManagedWorker | undefined> {
    const worker = this.workers.get(name);
    if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return undefined;
    worker.killedBy = 'SIGKILL';
    worker.ready = false;
    worker.child.kill('SIGKILL');
    await worker.exited;
    return worker;
  }

  readyWorkers(): ManagedWorker[] {
    return [...this.workers.values()].filter((w) => w.ready && w.child.exitCode === null && !w.killedBy);
  }

  byIdentity(identity: string): ManagedWorker | undefined {
    return this.readyWorkers().find((w) => w.identity === identity);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) return;
        w.killedBy = 'SIGTERM';
        w.child.kill('SIGTERM');
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 5000);
        await w.exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** The dev server on a database file, restartable on the same port and file. */
export class TemporalServer {
  private server?: DevServer;
  restarts = 0;

  constructor(
    private readonly cli: TemporalCli,
    readonly port: number,
    readonly dbFile: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = await startDevServer({
      cli: this.cli,
      port: this.port,
      dbFile: this.dbFile,
      headless: true,
    });
  }

  /** Stops the server (SIGTERM) and starts it again on the same database file and port. */
  async restart(downMs: number): Promise<void> {
    await this.server?.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
    this.restarts++;
  }

  /**
   * A crash: SIGKILL, no shutdown of any kind (the database file is left as the kill found it),
   * then a start on the same database file and port.
   */
  async crash(downMs: number): Promise<void> {
    const pid = this.server?.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    await this.server?.stop(); // only waits for the exit: the process is already dead
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
    this.restarts++;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}

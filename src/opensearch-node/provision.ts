/**
 * Finds or builds the OpenSearch node launcher (the Maven project in opensearch-node/ at the top
 * of the repository) in a cache outside the clone, like the Temporal CLI. Entry point:
 * `provisionOpenSearchNode()`. The whole find / cache / build-with-progress logic lives in this
 * one file so that a shared provisioning helper can take it over later.
 *
 * Cache: `${XDG_CACHE_HOME:-~/.cache}/package-rollouts/opensearch-node-<version>-<hash>/` where
 * the hash covers the launcher's sources, so an edit to the launcher builds a new copy and old
 * ones are never reused by mistake. Inside: `classes/`, `lib/*.jar` and `ready.json`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The OpenSearch version the launcher's pom.xml pins (kept in step with it by a test). */
export const OPENSEARCH_VERSION = '2.19.6';
export const LAUNCHER_MAIN_CLASS = 'org.packagerollouts.opensearchnode.OpenSearchNodeLauncher';
const MIN_JAVA = 17;

export type Log = (message: string) => void;

export interface ProvisionedLauncher {
  /** The `java` executable to run it with. */
  java: string;
  /** Class path: the launcher's classes and every dependency jar. */
  classPath: string;
  dir: string;
  source: 'cache' | 'built';
}

/** Where the launcher's Maven project lives in this checkout (src/ and dist/ both sit one level down). */
export function launcherSourceDir(): string {
  return fileURLToPath(new URL('../../opensearch-node/', import.meta.url));
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'target') out.push(...filesUnder(path));
    } else out.push(path);
  }
  return out.sort();
}

/** sha256 over the launcher's file names and contents: a new hash for any edit to it. */
export function launcherSourceHash(sourceDir = launcherSourceDir()): string {
  const hash = createHash('sha256');
  for (const file of filesUnder(sourceDir)) {
    hash.update(relative(sourceDir, file).split('\\').join('/'));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

export function launcherCacheDir(env: NodeJS.ProcessEnv = process.env, hash = launcherSourceHash()): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'package-rollouts', `opensearch-node-${OPENSEARCH_VERSION}-${hash}`);
}

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` from PATH. */
export function javaExecutable(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** The major version `java -version` reports, or null when there is no runnable java. */
export function javaMajorVersion(java: string, env: NodeJS.ProcessEnv = process.env): number | null {
  const run = spawnSync(java, ['-version'], { encoding: 'utf8', env });
  if (run.error || run.status !== 0) return null;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${run.stderr}${run.stdout}`);
  if (!match) return null;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major; // "1.8.0" style before Java 9
}

function checkJava(java: string, env: NodeJS.ProcessEnv): void {
  const major = javaMajorVersion(java, env);
  if (major === null)
    throw new Error(
      `The OpenSearch test node needs Java ${MIN_JAVA}+, and \`${java}\` could not be run. ` +
        `Install a JDK (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME to one.`,
    );
  if (major < MIN_JAVA)
    throw new Error(
      `The OpenSearch test node needs Java ${MIN_JAVA}+ (OpenSearch ${OPENSEARCH_VERSION}); \`${java}\` is Java ${major}. ` +
        `Install openjdk-17-jdk-headless or newer, or point JAVA_HOME at one.`,
    );
}

function checkMaven(env: NodeJS.ProcessEnv): void {
  const run = spawnSync('mvn', ['-v'], { encoding: 'utf8', env });
  if (run.error || run.status !== 0)
    throw new Error(
      'Building the OpenSearch test node (first time only) needs Maven 3.8+ on PATH, which was not found. ' +
        'Install it (Debian: apt-get install maven) and run again; it fetches OpenSearch from Maven Central.',
    );
}

/**
 * Returns the launcher ready to run, building it into the cache when absent (first time: about a
 * minute and a half with an empty Maven repository, mostly downloads; progress is logged).
 */
export async function provisionOpenSearchNode(
  options: { env?: NodeJS.ProcessEnv; log?: Log } = {},
): Promise<ProvisionedLauncher> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const java = javaExecutable(env);
  checkJava(java, env);
  const dir = launcherCacheDir(env);
  const classPath = [join(dir, 'classes'), join(dir, 'lib', '*')].join(
    process.platform === 'win32' ? ';' : ':',
  );
  if (existsSync(join(dir, 'ready.json'))) return { java, classPath, dir, source: 'cache' };
  await buildInto(dir, env, log);
  return { java, classPath, dir, source: 'built' };
}

async function buildInto(dir: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // A lock directory keeps two processes (two test runs, the demo) from building at once.
  const lock = join(dir, '.building');
  const waitStarted = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(join(dir, 'ready.json'))) return;
      if (Date.now() - waitStarted > 20 * 60_000)
        throw new Error(`gave up waiting for another build (${lock})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (existsSync(join(dir, 'ready.json'))) return;
    checkMaven(env);
    const work = join(dir, `build-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    // Build a copy, so the clone never gets a target/ folder and the cache owns what it runs.
    cpSync(join(launcherSourceDir(), 'pom.xml'), join(work, 'pom.xml'));
    cpSync(join(launcherSourceDir(), 'src'), join(work, 'src'), { recursive: true });
    const started = Date.now();
    log(
      `Building the OpenSearch ${OPENSEARCH_VERSION} test node with Maven into ${dir} — first time only; ` +
        'it downloads OpenSearch and Lucene from Maven Central (about 60 MB)...',
    );
    const timer = setInterval(
      () => log(`  ...still building the OpenSearch node (${Math.round((Date.now() - started) / 1000)} s)`),
      15_000,
    );
    try {
      await runMaven(work, env);
    } finally {
      clearInterval(timer);
    }
    rmSync(join(dir, 'classes'), { recursive: true, force: true });
    rmSync(join(dir, 'lib'), { recursive: true, force: true });
    renameSync(join(work, 'target', 'classes'), join(dir, 'classes'));
    renameSync(join(work, 'target', 'lib'), join(dir, 'lib'));
    rmSync(work, { recursive: true, force: true });
    writeFileSync(
      join(dir, 'ready.json'),
      `${JSON.stringify({ opensearch: OPENSEARCH_VERSION, builtAt: new Date().toISOString() })}\n`,
    );
    log(`OpenSearch node built in ${Math.round((Date.now() - started) / 1000)} s.`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function runMaven(work: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', ['-q', '-B', 'package'], {
      cwd: work,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`mvn package of the OpenSearch node launcher exited with ${code}:\n${output}`)),
    );
  });
}

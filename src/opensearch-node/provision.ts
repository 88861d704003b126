/**
 * Finds or builds the OpenSearch node launcher (the Maven project in opensearch-node/ at the top
 * of the repository) through the shared provisioning ladder (src/provision/provision.ts): Java 17+
 * from JAVA_HOME or PATH, then the launcher from the cache, else built there with Maven under the
 * install lock, with progress every 30 s. Entry point: `provisionOpenSearchNode()`.
 *
 * Cache: `${XDG_CACHE_HOME:-~/.cache}/package-rollouts/opensearch-node-<version>-<hash>/` where
 * the hash covers the launcher's sources, so an edit to the launcher builds a new copy and old
 * ones are never reused by mistake. Inside: `classes/`, `lib/*.jar` and `ready.json`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cacheDir,
  onPath,
  provision,
  runWithProgress,
  stderrLog,
  withLock,
  type Log,
  type Route,
} from '../provision/provision.js';

export type { Log } from '../provision/provision.js';

/** The OpenSearch version the launcher's pom.xml pins (kept in step with it by a test). */
export const OPENSEARCH_VERSION = '2.19.6';
export const LAUNCHER_MAIN_CLASS = 'org.packagerollouts.opensearchnode.OpenSearchNodeLauncher';
const MIN_JAVA = 17;
const JAVA_FIX =
  `the OpenSearch test node needs Java ${MIN_JAVA}+: install a JDK (Debian: apt-get install ` +
  'openjdk-17-jdk-headless) or point JAVA_HOME at one';
const MAVEN_FIX =
  'building the OpenSearch test node (first time only) needs Maven 3.8+ on PATH: install it (Debian: ' +
  'apt-get install maven) and run again; it fetches OpenSearch and Lucene from Maven Central (about ' +
  '60 MB), later runs use the cache';

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
  return cacheDir(`opensearch-node-${OPENSEARCH_VERSION}-${hash}`, env);
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

/**
 * Java 17+: JAVA_HOME when set (it is then the only candidate, as TEMPORAL_CLI_PATH is for the
 * Temporal CLI: a wrong JAVA_HOME is reported, not silently passed over), else `java` on PATH.
 */
async function provisionJava(env: NodeJS.ProcessEnv, log: Log): Promise<string> {
  // A route's string answer means "not here", so a found java travels as an object.
  const usable = (java: string): { java: string } => {
    const major = javaMajorVersion(java, env);
    if (major === null) throw new Error(`\`${java}\` could not be run`);
    if (major < MIN_JAVA)
      throw new Error(`\`${java}\` is Java ${major}; OpenSearch ${OPENSEARCH_VERSION} needs ${MIN_JAVA}+`);
    return { java };
  };
  const onPathJava = onPath('java', env);
  const routes: Route<{ java: string }>[] = env.JAVA_HOME
    ? [{ name: 'JAVA_HOME', find: () => usable(javaExecutable(env)) }]
    : [{ name: 'PATH', find: () => (onPathJava ? usable(onPathJava) : 'no java on PATH') }];
  const found = await provision(
    { name: `Java ${MIN_JAVA}+`, routes, fix: JAVA_FIX, describe: (j) => j.java },
    log,
  );
  return found.java;
}

/**
 * Returns the launcher ready to run: from the cache, else built into it with Maven (first time:
 * about a minute with an empty Maven repository, mostly downloads; progress every 30 s).
 */
export async function provisionOpenSearchNode(
  options: { env?: NodeJS.ProcessEnv; log?: Log } = {},
): Promise<ProvisionedLauncher> {
  const env = options.env ?? process.env;
  const log = options.log ?? stderrLog;
  const java = await provisionJava(env, log);
  const dir = launcherCacheDir(env);
  const ready = () => existsSync(join(dir, 'ready.json'));
  const launcher = (source: ProvisionedLauncher['source']): ProvisionedLauncher => ({
    java,
    classPath: [join(dir, 'classes'), join(dir, 'lib', '*')].join(process.platform === 'win32' ? ';' : ':'),
    dir,
    source,
  });
  const routes: Route<ProvisionedLauncher>[] = [
    { name: 'cache', find: () => (ready() ? launcher('cache') : '') },
    {
      name: 'Maven build',
      find: async () => {
        if (!mavenRuns(env)) return 'Maven (mvn) is not on PATH';
        const started = Date.now();
        log(
          `OpenSearch node: building the ${OPENSEARCH_VERSION} launcher with Maven into ${dir} (first time only; ` +
            'it downloads OpenSearch and Lucene from Maven Central, about 60 MB)',
        );
        await withLock(dir, ready, () => buildInto(dir, env, log), log);
        if (!ready()) throw new Error('the Maven build left no launcher');
        log(`OpenSearch node: built in ${Math.round((Date.now() - started) / 1000)} s`);
        return launcher('built');
      },
    },
  ];
  return provision({ name: 'OpenSearch node launcher', routes, fix: MAVEN_FIX, describe: (l) => l.dir }, log);
}

function mavenRuns(env: NodeJS.ProcessEnv): boolean {
  const run = spawnSync('mvn', ['-v'], { encoding: 'utf8', env });
  return !run.error && run.status === 0;
}

/** Builds a copy of the launcher project, so the clone never gets a target/ folder and the cache owns what it runs. */
async function buildInto(dir: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const work = join(dir, `build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  cpSync(join(launcherSourceDir(), 'pom.xml'), join(work, 'pom.xml'));
  cpSync(join(launcherSourceDir(), 'src'), join(work, 'src'), { recursive: true });
  try {
    await runWithProgress('mvn', ['-q', '-B', 'package'], {
      cwd: work,
      env,
      log,
      what: 'building the OpenSearch node',
      quiet: true,
      tailLines: 40,
    });
    rmSync(join(dir, 'classes'), { recursive: true, force: true });
    rmSync(join(dir, 'lib'), { recursive: true, force: true });
    renameSync(join(work, 'target', 'classes'), join(dir, 'classes'));
    renameSync(join(work, 'target', 'lib'), join(dir, 'lib'));
    writeFileSync(
      join(dir, 'ready.json'),
      `${JSON.stringify({ opensearch: OPENSEARCH_VERSION, builtAt: new Date().toISOString() })}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

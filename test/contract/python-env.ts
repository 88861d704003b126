/**
 * The Python the contract test runs: a virtual environment with the pinned packages of
 * test/contract/python/requirements.txt, provisioned through the shared ladder
 * (src/provision/provision.ts) in the user's cache (outside the clone, like the Temporal CLI)
 * under a name that carries the hash of that file and of the Python version, so a changed pin or
 * interpreter gets a fresh environment and the old one is never half-updated.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cacheDir,
  provision,
  runWithProgress,
  withLock,
  type Log,
  type Route,
} from '../../src/provision/provision.js';

export const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), 'python');
const REQUIREMENTS = join(PYTHON_DIR, 'requirements.txt');
/** temporalio 1.35 supports Python 3.10 and later. */
const MIN_PYTHON: [number, number] = [3, 10];
const FIX =
  `install Python ${MIN_PYTHON.join('.')}+ with venv (Debian/Ubuntu: apt-get install python3 python3-venv) ` +
  'or point PYTHON at one, and let pip reach PyPI for the first install';

/** `PYTHON`, else python3 on PATH, with its version; a string saying why when it cannot be used. */
function findPython(env: NodeJS.ProcessEnv): { python: string; version: string } | string {
  const python = env.PYTHON || 'python3';
  const probe = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8',
    env,
  });
  if (probe.error || probe.status !== 0)
    return `${python} ${probe.error ? `cannot be run (${probe.error.message})` : `failed: ${probe.stderr.trim()}`}`;
  const version = probe.stdout.trim();
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]))
    return `${python} is Python ${version}; the contract test needs ${MIN_PYTHON.join('.')}+`;
  return { python, version };
}

export function pythonEnvDir(pythonVersion: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256')
    .update(readFileSync(REQUIREMENTS))
    .update(`\npython ${pythonVersion}`)
    .digest('hex')
    .slice(0, 16);
  return cacheDir(`python-contract-${hash}`, env);
}

/**
 * The venv's interpreter: from the cache, else created there and filled with pip (under the
 * install lock, progress every 30 s), else one error naming the fix.
 */
export async function provisionPythonContractEnv(
  options: { env?: NodeJS.ProcessEnv; log?: Log } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => process.stderr.write(`[python] ${m}\n`));
  const found = findPython(env);
  const dir = typeof found === 'string' ? '' : pythonEnvDir(found.version, env);
  const venvPython = join(dir, 'venv', 'bin', 'python');
  const complete = () => existsSync(join(dir, '.complete'));
  // A route's string answer means "not here", so the found interpreter travels as an object.
  const routes: Route<{ python: string }>[] = [
    { name: 'interpreter', find: () => (typeof found === 'string' ? found : '') },
    { name: 'cache', find: () => (dir && complete() ? { python: venvPython } : '') },
    {
      name: 'venv + pip install',
      find: async () => {
        if (typeof found === 'string') return 'needs a usable interpreter';
        const started = Date.now();
        log(`Python ${found.version}: installing the contract test's packages into ${dir} (first time only)`);
        await withLock(dir, complete, () => installInto(dir, found.python, env, log), log);
        if (!complete()) throw new Error('the install left no complete virtualenv');
        log(`Python packages installed in ${Math.round((Date.now() - started) / 1000)} s`);
        return { python: venvPython };
      },
    },
  ];
  const venv = await provision(
    { name: 'Python contract venv', routes, fix: FIX, describe: (p) => p.python },
    log,
  );
  return venv.python;
}

async function installInto(dir: string, python: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  rmSync(join(dir, 'venv'), { recursive: true, force: true });
  await runWithProgress(python, ['-m', 'venv', join(dir, 'venv')], {
    env,
    log,
    what: 'creating the virtualenv',
  });
  await runWithProgress(
    join(dir, 'venv', 'bin', 'python'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'].concat([
      '-r',
      REQUIREMENTS,
    ]),
    { env, log, what: 'installing the Python packages' },
  );
  writeFileSync(join(dir, '.complete'), `${new Date().toISOString()}\n`);
}

/**
 * The Python the contract test runs: a virtual environment with the pinned packages of
 * test/contract/python/requirements.txt, built once in the user's cache (outside the clone, like
 * the Temporal CLI) under a name that carries the hash of that file and of the Python version, so
 * a changed pin or interpreter gets a fresh environment and the old one is never half-updated.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), 'python');
const REQUIREMENTS = join(PYTHON_DIR, 'requirements.txt');
/** temporalio 1.35 supports Python 3.10 and later. */
const MIN_PYTHON: [number, number] = [3, 10];

type Log = (message: string) => void;

function run(
  command: string,
  args: string[],
  log?: Log,
): Promise<{ code: number | null; output: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (log) for (const line of chunk.toString().split('\n')) if (line.trim()) log(`  ${line.trimEnd()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ code: null, output: err.message, missing: err.code === 'ENOENT' }),
    );
    child.on('close', (code) => resolve({ code, output, missing: false }));
  });
}

/** `PYTHON`, else python3 on PATH; a clear error when there is none or it is too old. */
async function findPython(env: NodeJS.ProcessEnv): Promise<{ python: string; version: string }> {
  const python = env.PYTHON || 'python3';
  const probe = await run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']);
  if (probe.missing || probe.code !== 0)
    throw new Error(
      `The Python contract test needs ${python} (Python ${MIN_PYTHON.join('.')}+ with venv), and ` +
        `${probe.missing ? 'it is not installed' : `it failed: ${probe.output.trim()}`}. Install it ` +
        `(Debian/Ubuntu: apt-get install python3 python3-venv) or point PYTHON at an interpreter.`,
    );
  const version = probe.output.trim();
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]))
    throw new Error(`${python} is Python ${version}; the contract test needs ${MIN_PYTHON.join('.')}+.`);
  return { python, version };
}

export function pythonEnvDir(pythonVersion: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256')
    .update(readFileSync(REQUIREMENTS))
    .update(`\npython ${pythonVersion}`)
    .digest('hex')
    .slice(0, 16);
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'package-rollouts', `python-contract-${hash}`);
}

/**
 * The venv's interpreter, creating the venv first when it is not there yet (progress printed).
 * A lock directory keeps two test processes from installing into the same place at once.
 */
export async function provisionPythonContractEnv(
  options: { env?: NodeJS.ProcessEnv; log?: Log } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => process.stderr.write(`[python] ${m}\n`));
  const { python, version } = await findPython(env);
  const dir = pythonEnvDir(version, env);
  const venvPython = join(dir, 'venv', 'bin', 'python');
  const complete = join(dir, '.complete');
  if (existsSync(complete)) return venvPython;

  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.installing');
  const waitingSince = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(complete)) return venvPython;
      if (Date.now() - waitingSince > 10 * 60_000)
        throw new Error(`gave up waiting for another install (${lock}); remove it if no install runs`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (existsSync(complete)) return venvPython;
    const started = Date.now();
    log(`Python ${version}: installing the contract test's packages into ${dir} (first time only)...`);
    rmSync(join(dir, 'venv'), { recursive: true, force: true });
    const venv = await run(python, ['-m', 'venv', join(dir, 'venv')], log);
    if (venv.code !== 0)
      throw new Error(
        `${python} -m venv failed (${venv.output.trim()}). Debian/Ubuntu: apt-get install python3-venv.`,
      );
    const pip = await run(
      venvPython,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'].concat([
        '-r',
        REQUIREMENTS,
      ]),
      log,
    );
    if (pip.code !== 0) throw new Error(`pip install -r ${REQUIREMENTS} failed (exit ${pip.code})`);
    writeFileSync(complete, `${new Date().toISOString()}\n`);
    log(`Python packages installed in ${Math.round((Date.now() - started) / 1000)} s`);
    return venvPython;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

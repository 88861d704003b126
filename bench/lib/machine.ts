import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { resolveTemporalCli } from '../../src/temporal/cli.js';
import { bytes } from './format.js';
import { REPO_ROOT } from './processes.js';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  temporalCli: string;
  commit: string;
}

export async function describeMachine(): Promise<MachineDescription> {
  const cpuList = cpus();
  let temporalCli = 'unknown';
  try {
    const cli = await resolveTemporalCli({ log: () => undefined, build: false });
    if (cli.kind === 'path') temporalCli = execFileSync(cli.path, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // left as unknown
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    if (dirty) commit += ' (with uncommitted changes in the working tree)';
  } catch {
    // not a git checkout
  }
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memory: `${bytes(totalmem())} total, ${bytes(freemem())} free at start`,
    os: `${type()} ${release()}`,
    node: process.version,
    temporalCli,
    commit,
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

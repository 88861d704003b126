import { spawnProcess, type RunningProcess } from '../../harness/child-process.js';

/**
 * Runs the worker as its own process: from source as `npm run worker` does (tsx), or the production
 * build as `node dist/worker/main.js` does (after `npm run build`).
 */
export function spawnWorker(
  env: Record<string, string>,
  from: 'source' | 'build' = 'source',
): RunningProcess {
  const args = from === 'source' ? ['--import', 'tsx', 'src/worker/main.ts'] : ['dist/worker/main.js'];
  return spawnProcess(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
}

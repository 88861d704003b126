import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliCacheDir, resolveTemporalCli, TEMPORAL_CLI_VERSION } from '../../src/temporal/cli.js';

function fakeBinary(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'temporal');
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('Temporal CLI provisioning', () => {
  const root = mkdtempSync(join(tmpdir(), 'cli-'));
  const quiet = () => {};

  it('prefers TEMPORAL_CLI_PATH', async () => {
    const path = fakeBinary(join(root, 'explicit'));
    expect(await resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: path, PATH: '' }, log: quiet })).toEqual({
      kind: 'path',
      path,
      source: 'TEMPORAL_CLI_PATH',
    });
    await expect(
      resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: join(root, 'missing') }, log: quiet }),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH=.*does not exist/);
  });

  it('then temporal on PATH, then the cache outside the clone', async () => {
    const onPath = fakeBinary(join(root, 'bin'));
    expect(await resolveTemporalCli({ env: { PATH: join(root, 'bin') }, log: quiet })).toMatchObject({
      path: onPath,
      source: 'PATH',
    });
    const cacheHome = join(root, 'cache');
    const env = { PATH: '', XDG_CACHE_HOME: cacheHome };
    expect(cliCacheDir(env)).toBe(
      join(cacheHome, 'package-rollouts', `temporal-cli-${TEMPORAL_CLI_VERSION}`),
    );
    const cached = fakeBinary(cliCacheDir(env));
    expect(await resolveTemporalCli({ env, log: quiet })).toMatchObject({ path: cached, source: 'cache' });
  });

  it('falls back to the SDK download with neither a binary nor Go', async () => {
    const logs: string[] = [];
    const env = { PATH: join(root, 'empty'), XDG_CACHE_HOME: join(root, 'nocache') };
    expect(await resolveTemporalCli({ env, log: (m) => logs.push(m) })).toEqual({ kind: 'sdk-download' });
    expect(logs.join()).toMatch(/falling back to the SDK download/);
  });
});

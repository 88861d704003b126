import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveChromium } from '../../src/provision/chromium.js';

function executable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('Chromium provisioning', () => {
  const root = mkdtempSync(join(tmpdir(), 'chromium-'));
  const quiet = () => {};

  it('prefers CHROMIUM_PATH, and says when it names nothing', async () => {
    const path = executable(join(root, 'explicit'), 'my-chrome');
    expect(await resolveChromium({ env: { CHROMIUM_PATH: path }, log: quiet })).toEqual({
      path,
      source: 'CHROMIUM_PATH',
    });
    await expect(
      resolveChromium({ env: { CHROMIUM_PATH: join(root, 'nothing') }, log: quiet }),
    ).rejects.toThrow(/CHROMIUM_PATH=.*does not exist/);
  });

  it('then a chromium or chrome on PATH', async () => {
    const path = executable(join(root, 'bin'), 'google-chrome-stable');
    expect(await resolveChromium({ env: { PATH: join(root, 'bin') }, log: quiet })).toEqual({
      path,
      source: 'PATH',
    });
  });

  it("then Playwright's browser cache", async () => {
    const cache = join(root, 'ms-playwright');
    const path = executable(join(cache, 'chromium-1200', 'chrome-linux64'), 'chrome');
    const env = { PATH: '', PLAYWRIGHT_BROWSERS_PATH: cache };
    expect(await resolveChromium({ env, log: quiet, knownPlaces: [] })).toEqual({
      path,
      source: 'playwright cache',
    });
    // A system browser at its usual place comes first.
    const system = executable(join(root, 'usr-bin'), 'chromium');
    expect(await resolveChromium({ env, log: quiet, knownPlaces: [join(root, 'nowhere'), system] })).toEqual({
      path: system,
      source: 'known place',
    });
  });

  it('names the fix when nothing is found and nothing may be installed', async () => {
    const logs: string[] = [];
    const apt = join(root, 'apt');
    executable(apt, 'apt-get');
    const err = await resolveChromium({
      env: { PATH: apt, PLAYWRIGHT_BROWSERS_PATH: join(root, 'none') },
      log: (m) => logs.push(m),
      isRoot: false,
      knownPlaces: [],
    }).catch((e: unknown) => e);
    if (!(err instanceof Error)) throw new Error(`expected a failure, got ${JSON.stringify(err)}`);
    expect(err.message).toMatch(/no Chromium could be provisioned/);
    expect(err.message).toMatch(/Debian's chromium package: not root, so apt-get cannot install it/);
    expect(err.message).toMatch(
      /Fix: set CHROMIUM_PATH to a Chromium or Chrome binary, or install one: `sudo apt-get install chromium`/,
    );
  });
});

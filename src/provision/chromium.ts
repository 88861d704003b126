import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
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
} from './provision.js';

/**
 * The browser the Web UI test drives through playwright-core (which never downloads one itself
 * here). Found in this order: CHROMIUM_PATH; a Chromium or Chrome on PATH or at its usual place;
 * a Chromium in Playwright's own browser cache (a user who ran `playwright install` has one);
 * Debian's `chromium` package, installed with apt-get when running as root.
 */

const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
const KNOWN_PLACES = [
  '/usr/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];
const FIX =
  'set CHROMIUM_PATH to a Chromium or Chrome binary, or install one: `sudo apt-get install chromium` ' +
  '(Debian/Ubuntu; the test command does this itself when run as root), or `npx playwright-core install chromium`';

export interface Chromium {
  path: string;
  source: 'CHROMIUM_PATH' | 'PATH' | 'known place' | 'playwright cache' | 'installed';
}

export async function resolveChromium(
  options: {
    env?: NodeJS.ProcessEnv;
    log?: Log;
    install?: boolean;
    isRoot?: boolean;
    /** The usual places of a system browser (tests replace them). */
    knownPlaces?: string[];
  } = {},
): Promise<Chromium> {
  const env = options.env ?? process.env;
  const places = options.knownPlaces ?? KNOWN_PLACES;
  const log = options.log ?? stderrLog;
  if (env.CHROMIUM_PATH) {
    if (!isFile(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist`);
    return { path: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' };
  }
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const routes: Route<Chromium>[] = [
    {
      name: 'PATH',
      find: () => {
        const path = ON_PATH.map((name) => onPath(name, env)).find(Boolean);
        return path ? { path, source: 'PATH' } : '';
      },
    },
    {
      name: 'known places',
      find: () => {
        const path = places.find(isFile);
        return path ? { path, source: 'known place' } : '';
      },
    },
    {
      name: 'playwright cache',
      find: () => {
        const path = playwrightChromium(env);
        return path ? { path, source: 'playwright cache' } : '';
      },
    },
    {
      name: "Debian's chromium package",
      find: async () => {
        if (options.install === false) return 'not installing (install: false)';
        if (!onPath('apt-get', env)) return 'no apt-get on this machine';
        if (!isRoot) return 'not root, so apt-get cannot install it';
        await aptInstallChromium(env, log);
        const path = places.find(isFile) ?? onPath('chromium', env);
        if (!path) throw new Error('apt-get install chromium left no /usr/bin/chromium');
        return { path, source: 'installed' };
      },
    },
  ];
  return provision({ name: 'Chromium', routes, fix: FIX, describe: (c) => c.path }, log);
}

/** `~/.cache/ms-playwright/chromium-<rev>/chrome-linux*\/chrome` (or PLAYWRIGHT_BROWSERS_PATH). */
function playwrightChromium(env: NodeJS.ProcessEnv): string | undefined {
  const root = env.PLAYWRIGHT_BROWSERS_PATH || join(env.HOME || homedir(), '.cache', 'ms-playwright');
  let revisions: string[];
  try {
    revisions = readdirSync(root).filter((d) => /^chromium-\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const revision of revisions.sort().reverse()) {
    for (const build of ['chrome-linux64', 'chrome-linux']) {
      const path = join(root, revision, build, 'chrome');
      if (isFile(path)) return path;
    }
  }
  return undefined;
}

async function aptInstallChromium(env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const started = Date.now();
  log("Chromium: installing Debian's chromium package with apt-get (first time only, a minute or two)...");
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  // Our lock keeps two test runs from racing; apt's own lock timeout covers anyone else using apt.
  await withLock(
    cacheDir('chromium', env),
    () => KNOWN_PLACES.some(isFile),
    async () => {
      await runWithProgress('apt-get', ['-q', 'update'], {
        env: aptEnv,
        log,
        what: 'running apt-get update',
      });
      await runWithProgress('apt-get', ['-q', '-y', '-o', 'DPkg::Lock::Timeout=600', 'install', 'chromium'], {
        env: aptEnv,
        log,
        what: 'installing chromium',
      });
    },
    log,
  );
  log(`Chromium: installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

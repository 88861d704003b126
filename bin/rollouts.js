#!/usr/bin/env node
// The `rollouts` command (package.json "bin"). From a checkout with its development dependencies
// (`npm ci`) it runs the TypeScript source through tsx, so it never runs stale code; where tsx is
// not installed (`npm ci --omit=dev`, a Docker image) it runs the build, dist/cli/main.js.
/* global process, URL */
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

/** tsx's loader API, or undefined when tsx (a development dependency) is not installed. */
async function tsxApi() {
  try {
    return await import('tsx/esm/api');
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

const tsx = existsSync(source) ? await tsxApi() : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    existsSync(source)
      ? 'rollouts: tsx is not installed and there is no build: run `npm ci` (development dependencies included), or `npm run build`\n'
      : 'rollouts: neither src/cli/main.ts nor dist/cli/main.js exists (run npm run build)\n',
  );
  process.exit(1);
}

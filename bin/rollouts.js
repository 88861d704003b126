#!/usr/bin/env node
// The `rollouts` command (package.json "bin"). From a checkout it runs the TypeScript source through
// tsx (a runtime dependency), so it never runs stale code; where only the build exists (a Docker
// image, a pruned install) it runs dist/cli/main.js.
/* global process, URL */
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write('rollouts: neither src/cli/main.ts nor dist/cli/main.js exists (run npm run build)\n');
  process.exit(1);
}

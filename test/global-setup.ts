import type { TestProject } from 'vitest/node';
import { resolveChromium } from '../src/provision/chromium.js';
import { resolveTemporalCli } from '../src/temporal/cli.js';
import { startDevServer } from '../src/temporal/dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalCliPath: string;
    /** The browser for the Web UI test, or '' with `chromiumProblem` saying why and the fix. */
    chromiumPath: string;
    chromiumProblem: string;
  }
}

const WEB_UI_TEST = 'test/workflows/web-ui.test.ts';

/**
 * What the test command provisions, before any test runs (so progress shows live): the Temporal
 * CLI, then one real dev server for the whole run (with the project's search attributes); and,
 * when the Web UI test is part of the run, a browser. Each test file then brings its own worker
 * on its own task queue.
 */
export default async function setup(project: TestProject) {
  const log = (m: string) => process.stderr.write(`[temporal] ${m}\n`);
  const cli = await resolveTemporalCli({ log });
  const started = Date.now();
  const server = await startDevServer({ cli, headless: true, log });
  log(
    `real dev server ${server.address} from ${cli.kind === 'path' ? `${cli.path} (${cli.source})` : 'the SDK download'}, up in ${Date.now() - started} ms`,
  );
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('temporalCliPath', cli.kind === 'path' ? cli.path : '');

  project.provide('chromiumPath', '');
  project.provide(
    'chromiumProblem',
    `not provisioned: ${WEB_UI_TEST} was not among the files this run selected`,
  );
  if (runSelects(WEB_UI_TEST)) {
    const browserLog = (m: string) => process.stderr.write(`[browser] ${m}\n`);
    try {
      project.provide('chromiumPath', (await resolveChromium({ log: browserLog })).path);
    } catch (err) {
      // Only the Web UI test needs it: that test fails with this message; the rest still run.
      browserLog(String(err instanceof Error ? err.message : err));
      project.provide('chromiumProblem', err instanceof Error ? err.message : String(err));
    }
  }
  return async () => {
    await server.stop();
  };
}

/**
 * Whether vitest's file filters (its positional arguments; a file runs when its path contains
 * one) select `file`: with no filter every file runs. A narrow run of other files then does not
 * install a browser it does not use.
 */
function runSelects(file: string): boolean {
  const args = process.argv.slice(2);
  const filters = args.filter((a) => !a.startsWith('-') && /\/|\.test|\.ts$/.test(a));
  return filters.length === 0 || filters.some((f) => file.includes(f.replace(/^\.\//, '')));
}

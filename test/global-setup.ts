import type { TestProject } from 'vitest/node';
import { resolveTemporalCli } from '../src/temporal/cli.js';
import { startDevServer } from '../src/temporal/dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalCliPath: string;
  }
}

/**
 * One real Temporal dev server for the whole run (the CLI binary, with the project's search
 * attributes registered). Each test file then brings its own worker on its own task queue.
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
  return async () => {
    await server.stop();
  };
}

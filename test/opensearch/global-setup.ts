import type { TestProject } from 'vitest/node';
import { startOpenSearchNode } from '../../src/opensearch-node/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    opensearchEndpoint: string;
    opensearchConfigDir: string;
    opensearchLogFile: string;
  }
}

/**
 * One real OpenSearch node for the `opensearch` test project (built with Maven into the cache on
 * first use, with progress). Test files share it: each uses its own index names and files.
 */
export default async function setup(project: TestProject) {
  const log = (m: string) => process.stderr.write(`[opensearch] ${m}\n`);
  const started = Date.now();
  const node = await startOpenSearchNode({ log });
  log(`real OpenSearch node ${node.endpoint} up in ${Date.now() - started} ms (log: ${node.logFile})`);
  project.provide('opensearchEndpoint', node.endpoint);
  project.provide('opensearchConfigDir', node.configDir);
  project.provide('opensearchLogFile', node.logFile);
  return async () => {
    await node.stop();
  };
}

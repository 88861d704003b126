import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The workflow interceptor module to bundle with the workflows when tracing is on
 * (workflow-interceptors.ts: it makes the workflow and activity-scheduling spans and sends them out
 * through the worker's `exporter` sink), from src (tsx) or from dist (node). Resolving loads nothing.
 */
export function tracingWorkflowModules(): string[] {
  const ts = fileURLToPath(new URL('./workflow-interceptors.ts', import.meta.url));
  return [existsSync(ts) ? ts : fileURLToPath(new URL('./workflow-interceptors.js', import.meta.url))];
}

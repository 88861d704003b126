import { createRequire } from 'node:module';

/**
 * The workflow interceptor module of @temporalio/interceptors-opentelemetry, to bundle with the
 * workflows when tracing is on (it makes the workflow and activity-scheduling spans and sends them
 * out through the worker's `exporter` sink). Resolving the path loads nothing.
 */
export function tracingWorkflowModules(): string[] {
  return [
    createRequire(import.meta.url).resolve(
      '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
    ),
  ];
}

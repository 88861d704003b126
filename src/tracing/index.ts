/**
 * Tracing (OpenTelemetry, exported over OTLP/HTTP), off by default. This module and the ones it
 * imports statically load no OpenTelemetry package: the SDK, the exporter and Temporal's
 * interceptors are imported by startTracing only, so with tracing off nothing of them is loaded and
 * nothing runs. docs/tracing.md says what is traced and how to configure it.
 */
import { existsSync } from 'node:fs';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { ConfigError } from '../config.js';
import { loadTracingConfig, type TracingConfig } from './config.js';

export { loadTracingConfig, type TracingConfig } from './config.js';
export { tracingWorkflowModules } from './workflow-modules.js';

export interface Tracing {
  config: TracingConfig;
  /** For `new Client({ interceptors })`: a span per start / signal / query, passed on in headers. */
  clientInterceptors: ClientInterceptors;
  /**
   * Worker options: activity interceptors, the workflow spans' exporter sink and, when the workflows
   * are bundled at start (not from a prebuilt bundle), the workflow interceptor module.
   */
  workerOptions(from: { prebuiltBundle: boolean }): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Sends what is buffered and stops; AWS clients built afterwards are no longer traced. */
  shutdown(): Promise<void>;
}

/** Starts the tracer provider and exporter, and traces AWS clients built from now on. */
export async function startTracing(config: TracingConfig): Promise<Tracing> {
  const { startOpenTelemetry } = await import('./otel.js');
  return startOpenTelemetry(config);
}

/** startTracing when the OTEL_* variables turn tracing on; undefined when off. ConfigError on a bad value. */
export async function startTracingFromEnv(
  env: NodeJS.ProcessEnv,
  defaultServiceName: string,
): Promise<Tracing | undefined> {
  const config = loadTracingConfig(env, defaultServiceName);
  return config ? startTracing(config) : undefined;
}

/**
 * The build writes two bundles (scripts/bundle-workflows.ts): `workflow-bundle.js` and, with the
 * tracing interceptors, `workflow-bundle-traced.js` beside it. With tracing on the worker runs the
 * traced one, so the bundle without tracing carries none of its cost.
 */
export function tracedBundlePath(bundlePath: string, variable = 'ROLLOUTS_WORKFLOW_BUNDLE'): string {
  const traced = bundlePath.replace(/(\.js)?$/, '-traced.js');
  if (!existsSync(traced))
    throw new ConfigError(
      `tracing is on (OTEL_*), but ${variable} points at ${bundlePath} and there is no ${traced} beside it: build both with \`npm run build\``,
    );
  return traced;
}

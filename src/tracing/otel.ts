/**
 * The one file that loads OpenTelemetry: imported by startTracing (index.ts) only when tracing is on.
 * One tracer provider per process (registered globally, with the async-local-storage context manager
 * so an activity's span is the parent of the AWS calls it makes), one batch processor that both the
 * Node side and the workflow sandbox's exporter sink feed, one OTLP/HTTP exporter.
 */
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { setAwsClientInstrumentation } from './aws-clients.js';
import { addAwsTracingMiddleware } from './aws-middleware.js';
import { context, propagation, trace } from '@opentelemetry/api';
import type { TracingConfig } from './config.js';
import type { Tracing } from './index.js';
import { tracingWorkflowModules } from './workflow-modules.js';

export function startOpenTelemetry(config: TracingConfig): Tracing {
  // The exporters read OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT / _COMPRESSION themselves; the URL is
  // passed as validated (loadTracingConfig) so what the start log shows is what is used.
  const exporter =
    config.protocol === 'http/json'
      ? new OtlpJsonExporter({ url: config.url })
      : new OtlpProtobufExporter({ url: config.url });
  const resource = Resource.default().merge(new Resource({ 'service.name': config.serviceName }));
  const processor = new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  setAwsClientInstrumentation(addAwsTracingMiddleware);

  return {
    config,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    workerOptions: ({ prebuiltBundle }) => ({
      interceptors: {
        // A prebuilt bundle has its interceptors compiled in (tracedBundlePath picks that bundle).
        ...(prebuiltBundle ? {} : { workflowModules: tracingWorkflowModules() }),
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    }),
    async shutdown() {
      setAwsClientInstrumentation(undefined);
      await provider.shutdown();
      // register() made this provider the process's global one; a later start (the same process
      // tracing again: a test file, a long-lived host) could not register its own otherwise.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

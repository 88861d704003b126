/**
 * One span per AWS SDK call: a small middleware at the start of each client's stack (the
 * `initialize` step), so the span covers the SDK's own retries and names the service, operation,
 * request id, HTTP status and attempts. The span is a child of whatever span is active, which inside
 * an activity is the activity's span (the activity interceptor makes it active).
 *
 * Why not @opentelemetry/instrumentation-aws-sdk: it works by patching the SDK's modules as they are
 * loaded (require / import hooks registered before anything else loads), which needs a loader flag
 * under ESM and tsx and silently records nothing when the order is wrong. A middleware added where
 * the clients are built is explicit and works the same from source, from the build and in tests.
 */
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { InstrumentableClient } from './aws-clients.js';

const TRACER = 'package-rollouts/aws-sdk';

interface ResponseMetadata {
  requestId?: string;
  httpStatusCode?: number;
  attempts?: number;
}

interface HandlerContext {
  clientName?: string;
  commandName?: string;
}

type Handler = (args: unknown) => Promise<{ output?: { $metadata?: ResponseMetadata } }>;

/** 'OpenSearchClient' -> 'OpenSearch', 'DescribeDomainCommand' -> 'DescribeDomain'. */
function names(context: HandlerContext): { service: string; operation: string } {
  return {
    service: (context.clientName ?? 'AWS').replace(/Client$/, ''),
    operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
  };
}

function recordMetadata(span: Span, metadata: ResponseMetadata | undefined): void {
  if (!metadata) return;
  if (metadata.requestId) span.setAttribute('aws.request_id', metadata.requestId);
  if (metadata.httpStatusCode !== undefined)
    span.setAttribute('http.response.status_code', metadata.httpStatusCode);
  if (metadata.attempts !== undefined) span.setAttribute('aws.attempts', metadata.attempts);
}

function tracingMiddleware(next: Handler, context: HandlerContext): Handler {
  const { service, operation } = names(context);
  const tracer = trace.getTracer(TRACER);
  return (args) =>
    tracer.startActiveSpan(
      `${service}.${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': operation },
      },
      async (span) => {
        try {
          const result = await next(args);
          recordMetadata(span, result.output?.$metadata);
          span.setStatus({ code: SpanStatusCode.OK });
          return result;
        } catch (err) {
          const error = err as Error & { $metadata?: ResponseMetadata };
          recordMetadata(span, error.$metadata);
          span.setAttribute('aws.error_code', error.name);
          span.recordException(error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error.name });
          throw err;
        } finally {
          span.end();
        }
      },
    );
}

export function addAwsTracingMiddleware(client: InstrumentableClient): void {
  const add = client.middlewareStack.add as (
    middleware: typeof tracingMiddleware,
    options: { step: 'initialize'; name: string; priority: 'high'; override: boolean },
  ) => void;
  add.call(client.middlewareStack, tracingMiddleware, {
    step: 'initialize',
    name: 'packageRolloutsTracing',
    priority: 'high',
    override: true,
  });
}

/**
 * An OTLP/HTTP trace collector for tests: a loopback server that decodes what exporters POST to
 * /v1/traces, protobuf (with the OpenTelemetry proto definitions the exporter itself is built
 * from) or JSON, into flat spans.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
}

export interface Collector {
  url: string;
  spans: CollectedSpan[];
  /** Content types of the requests received, one entry per request. */
  requests: string[];
  stop(): Promise<void>;
}

interface KeyValue {
  key: string;
  value?: Record<string, unknown>;
}
interface DecodedSpan {
  traceId: unknown;
  spanId: unknown;
  parentSpanId?: unknown;
  name: string;
  attributes?: KeyValue[];
}
interface DecodedRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: DecodedSpan[] }>;
  }>;
}

const proto = createRequire(import.meta.url)(
  '@opentelemetry/otlp-transformer/build/src/generated/root.js',
) as {
  opentelemetry: {
    proto: {
      collector: {
        trace: {
          v1: {
            ExportTraceServiceRequest: {
              decode(bytes: Uint8Array): unknown;
              toObject(
                message: unknown,
                options: { longs: typeof String; defaults: boolean },
              ): DecodedRequest;
            };
          };
        };
      };
    };
  };
};
const ExportTraceServiceRequest = proto.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** Protobuf ids are bytes, JSON ids are hex strings already. */
function hexId(id: unknown): string {
  if (id === undefined || id === null) return '';
  if (typeof id === 'string') return id;
  return Buffer.from(id as Uint8Array).toString('hex');
}

function attributeMap(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const v = value ?? {};
    out[key] =
      v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
  }
  return out;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startCollector(): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const bytes = await body(req);
      const type = req.headers['content-type'] ?? '';
      requests.push(type);
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const decoded: DecodedRequest = type.includes('json')
        ? (JSON.parse(bytes.toString('utf8')) as DecodedRequest)
        : ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), {
            longs: String,
            defaults: false,
          });
      for (const rs of decoded.resourceSpans ?? []) {
        const service = String(attributeMap(rs.resource?.attributes)['service.name']);
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: hexId(s.traceId),
              spanId: hexId(s.spanId),
              parentSpanId: hexId(s.parentSpanId),
              name: s.name,
              service,
              attributes: attributeMap(s.attributes),
            });
      }
      res
        .writeHead(200, { 'content-type': type || 'application/json' })
        .end(type.includes('json') ? '{}' : '');
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

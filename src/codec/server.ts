/**
 * The codec server: lets Temporal's Web UI (and `temporal workflow show --codec-endpoint ...`)
 * show encrypted payloads in clear text, without the key ever leaving this process.
 *
 *   ROLLOUTS_PAYLOAD_KEY=... npm run codec-server
 *   temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888   # or the UI's settings
 *
 * Remote codec protocol (Temporal): POST <endpoint>/encode and POST <endpoint>/decode with
 * `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}`, answered in the
 * same shape; the UI sends `X-Namespace` and, when configured, `Authorization`. Browsers call it
 * cross-origin, so it answers CORS preflights for the configured UI origins only.
 *
 * Anyone who can reach it can decrypt payloads: it listens on 127.0.0.1 by default. Expose it
 * only behind the same authentication as the Web UI.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadDecryptionError } from './encryption-codec.js';
import { PayloadKeyConfigError, payloadCodecFromEnv } from './env.js';

/** JSON form of a Payload as the Web UI sends it (proto3 JSON: bytes as base64). */
interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Origins allowed to call from a browser (the Web UI), e.g. http://localhost:8233. */
  corsOrigins?: string[];
  /** Largest request body accepted. Default 8 MiB (Temporal's payload limit is 2 MB each). */
  maxBodyBytes?: number;
}

export interface RunningCodecServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const DEFAULT_CORS_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function toPayload(json: JsonPayload, index: number): Payload {
  if (typeof json !== 'object' || json === null)
    throw new HttpError(400, `payloads[${index}] must be an object`);
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(json.metadata ?? {})) {
    if (typeof v !== 'string') throw new HttpError(400, `payloads[${index}].metadata.${k} must be base64`);
    metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  }
  if (json.data !== undefined && json.data !== null && typeof json.data !== 'string')
    throw new HttpError(400, `payloads[${index}].data must be base64`);
  return { metadata, data: new Uint8Array(Buffer.from(json.data ?? '', 'base64')) };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v ?? new Uint8Array()).toString('base64'),
      ]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HttpError(413, `request body larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const origins = new Set(options.corsOrigins ?? DEFAULT_CORS_ORIGINS);
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    const headers: Record<string, string> = { vary: 'Origin' };
    if (origin && (origins.has(origin) || origins.has('*'))) {
      headers['access-control-allow-origin'] = origin;
      headers['access-control-allow-credentials'] = 'true';
      headers['access-control-allow-methods'] = 'POST, OPTIONS';
      headers['access-control-allow-headers'] = 'Content-Type, X-Namespace, Authorization';
      headers['access-control-max-age'] = '600';
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(origin && headers['access-control-allow-origin'] ? 204 : 403, headers);
        res.end();
        return;
      }
      if (req.method === 'GET' && path === '/health') return reply(200, { ok: true });
      if (path !== '/encode' && path !== '/decode')
        throw new HttpError(404, 'use POST /encode or POST /decode');
      if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`);
      let body: { payloads?: unknown };
      try {
        body = JSON.parse((await readBody(req, maxBody)).toString('utf8')) as { payloads?: unknown };
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, 'the body must be JSON: {"payloads": [...]}');
      }
      if (!body || !Array.isArray(body.payloads))
        throw new HttpError(400, 'the body must be {"payloads": [...]}');
      const payloads = body.payloads.map((p, i) => toPayload(p as JsonPayload, i));
      const out =
        path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      reply(200, { payloads: out.map(toJson) });
    } catch (err) {
      if (err instanceof HttpError) return reply(err.status, { message: err.message });
      // A wrong key says so; it never echoes payload content.
      if (err instanceof PayloadDecryptionError) return reply(400, { message: err.message });
      reply(500, { message: 'codec failed' });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `npm run codec-server`: configuration from the environment (README, "Reliability and security"). */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<RunningCodecServer> {
  let codec;
  try {
    codec = payloadCodecFromEnv(env);
  } catch (err) {
    if (err instanceof PayloadKeyConfigError) {
      process.stderr.write(`codec server: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  if (!codec) {
    process.stderr.write(
      'codec server: configuration error: ROLLOUTS_PAYLOAD_KEY is not set (base64 of 32 bytes, the same key the worker uses)\n',
    );
    process.exit(78);
  }
  const port = Number(env.ROLLOUTS_CODEC_SERVER_PORT || 8888);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(
      `codec server: configuration error: ROLLOUTS_CODEC_SERVER_PORT must be a port number, got '${env.ROLLOUTS_CODEC_SERVER_PORT}'\n`,
    );
    process.exit(78);
  }
  const corsOrigins = env.ROLLOUTS_CODEC_CORS_ORIGINS
    ? env.ROLLOUTS_CODEC_CORS_ORIGINS.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : DEFAULT_CORS_ORIGINS;
  const server = await startCodecServer({
    codec,
    port,
    host: env.ROLLOUTS_CODEC_SERVER_HOST || '127.0.0.1',
    corsOrigins,
  });
  process.stderr.write(
    `${JSON.stringify({ level: 'INFO', msg: 'codec server started', url: server.url, keyId: codec.keyId, corsOrigins })}\n`,
  );
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`codec server failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

/**
 * The codec server: lets Temporal's Web UI (and `temporal workflow show --codec-endpoint ...`)
 * show encrypted payloads in clear text, without the key ever leaving this process.
 *
 *   ROLLOUTS_PAYLOAD_KEY=... ROLLOUTS_CODEC_TOKEN=... npm run codec-server
 *   temporal workflow show -w <id> --codec-endpoint http://127.0.0.1:8888 --codec-auth "Bearer $ROLLOUTS_CODEC_TOKEN"
 *
 * Remote codec protocol (Temporal): POST <endpoint>/encode and POST <endpoint>/decode with
 * `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}`, answered in the
 * same shape; the UI sends `X-Namespace` and, when configured, `Authorization`.
 *
 * It decrypts for whoever it answers, so it answers only when every check passes, in order:
 * - Host must be one of the allowed hosts (DNS rebinding: a foreign name pointed at 127.0.0.1);
 * - a browser's Origin must be one of the allowed origins (never `*`: credentials are allowed);
 * - `Authorization: Bearer <token>` must match ROLLOUTS_CODEC_TOKEN (compared in constant time),
 *   or the `authorize` hook must accept it (e.g. a verifier of the UI's forwarded OIDC token);
 * - the path is exactly /decode, /encode or /health (no pattern matching on what the client sent);
 * - /encode answers only when enabled: it mints ciphertext the worker accepts as genuine.
 * Payloads are bound to the request's X-Namespace (the AAD): one namespace's payloads do not
 * decode as another's.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { EncryptionCodec, PayloadDecryptionError } from './encryption-codec.js';
import { PayloadKeyConfigError, payloadCodecFromEnv } from './env.js';
import { jwtVerifier } from './jwt.js';

/** JSON form of a Payload as the Web UI sends it (proto3 JSON: bytes as base64). */
interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

export interface CodecServerOptions {
  /** An EncryptionCodec is bound to each request's X-Namespace; another codec is used as is. */
  codec: PayloadCodec;
  /** The bearer token clients must send; compared in constant time. */
  token?: string;
  /**
   * Instead of (or besides) the token: decides on the Authorization header, e.g. verifies the
   * OIDC access token the Web UI forwards (TEMPORAL_CODEC_PASS_ACCESS_TOKEN).
   */
  authorize?: (authorization: string | undefined) => boolean | Promise<boolean>;
  /** Serve without any authentication: only for a server on loopback during development. */
  allowUnauthenticated?: boolean;
  /** Host header values served (host or host:port); default: loopback names with the port. */
  allowedHosts?: string[];
  /** Answer POST /encode (minting ciphertext the worker accepts). Default false. */
  enableEncode?: boolean;
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
const PATHS = new Set(['/decode', '/encode', '/health']);
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** Thrown for a configuration the server refuses to run with. */
export class CodecServerConfigError extends Error {
  override readonly name = 'CodecServerConfigError';
}

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
  if (origins.has('*'))
    throw new CodecServerConfigError(
      "CORS origin '*' is refused: the codec server allows credentials, so name the Web UI's origins",
    );
  const host = options.host ?? '127.0.0.1';
  const loopback = LOOPBACK_HOSTS.includes(host) || host === '::1';
  if (!options.token && !options.authorize && !(options.allowUnauthenticated && loopback))
    throw new CodecServerConfigError(
      'the codec server needs a token (ROLLOUTS_CODEC_TOKEN) or an authorize hook; without one it may only listen on loopback with unauthenticated access allowed explicitly',
    );
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  let allowedHosts = new Set<string>();

  const authorized = async (header: string | undefined): Promise<boolean> => {
    if (options.token) {
      const m = /^Bearer (\S+)$/.exec(header ?? '');
      if (m && tokenMatches(m[1]!, options.token)) return true;
    }
    if (options.authorize && (await options.authorize(header))) return true;
    return !options.token && !options.authorize && Boolean(options.allowUnauthenticated);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    const headers: Record<string, string> = { vary: 'Origin' };
    const originAllowed = origin !== undefined && origins.has(origin);
    if (originAllowed) {
      headers['access-control-allow-origin'] = origin;
      headers['access-control-allow-credentials'] = 'true';
      headers['access-control-allow-methods'] = 'POST, OPTIONS';
      headers['access-control-allow-headers'] = 'Content-Type, X-Namespace, Authorization';
      headers['access-control-max-age'] = '600';
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      // DNS rebinding: a page on a foreign name that resolves to this address sends its own Host.
      if (!allowedHosts.has((req.headers.host ?? '').toLowerCase()))
        throw new HttpError(421, 'this Host is not served (ROLLOUTS_CODEC_ALLOWED_HOSTS)');
      if (origin !== undefined && !originAllowed)
        throw new HttpError(403, 'this Origin is not allowed (ROLLOUTS_CODEC_CORS_ORIGINS)');
      if (req.method === 'OPTIONS') {
        res.writeHead(originAllowed ? 204 : 403, headers);
        res.end();
        return;
      }
      if (!PATHS.has(path)) throw new HttpError(404, 'use POST /encode or POST /decode');
      if (path === '/health') {
        if (req.method !== 'GET') throw new HttpError(405, '/health takes GET');
        return reply(200, { ok: true });
      }
      if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`);
      if (!(await authorized(req.headers.authorization)))
        throw new HttpError(401, 'missing or wrong bearer token');
      if (path === '/encode' && !options.enableEncode)
        throw new HttpError(403, '/encode is off (ROLLOUTS_CODEC_ENABLE_ENCODE=true turns it on)');
      let codec = options.codec;
      if (codec instanceof EncryptionCodec) {
        const namespace = req.headers['x-namespace'];
        if (typeof namespace !== 'string' || !/^[A-Za-z0-9._-]{1,255}$/.test(namespace))
          throw new HttpError(400, 'X-Namespace must name the namespace the payloads belong to');
        codec = codec.forNamespace(namespace, path === '/decode' ? false : codec.strict);
      }
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
      const out = path === '/encode' ? await codec.encode(payloads) : await codec.decode(payloads);
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
  allowedHosts = new Set(
    (options.allowedHosts ?? LOOPBACK_HOSTS).flatMap((h) => {
      const name = h.toLowerCase();
      return /:\d+$/.test(name) && !name.endsWith(']') ? [name] : [name, `${name}:${port}`];
    }),
  );
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
  const list = (v: string | undefined) =>
    v
      ?.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const corsOrigins = list(env.ROLLOUTS_CODEC_CORS_ORIGINS) ?? DEFAULT_CORS_ORIGINS;
  const fail = (message: string): never => {
    process.stderr.write(`codec server: configuration error: ${message}\n`);
    process.exit(78);
  };
  let token = env.ROLLOUTS_CODEC_TOKEN || undefined;
  if (env.ROLLOUTS_CODEC_TOKEN_FILE) {
    if (token) fail('ROLLOUTS_CODEC_TOKEN and ROLLOUTS_CODEC_TOKEN_FILE are both set: set one');
    try {
      token = readFileSync(env.ROLLOUTS_CODEC_TOKEN_FILE, 'utf8').trim();
    } catch (err) {
      fail(
        `ROLLOUTS_CODEC_TOKEN_FILE: cannot read '${env.ROLLOUTS_CODEC_TOKEN_FILE}': ${(err as Error).message}`,
      );
    }
  }
  if (token !== undefined && token.length < 32)
    fail('ROLLOUTS_CODEC_TOKEN must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  const bool = (name: string) => {
    const v = env[name];
    if (v !== undefined && v !== '' && v !== 'true' && v !== 'false')
      fail(`${name} must be true or false, got '${v}'`);
    return v === 'true';
  };
  // The UI's forwarded OIDC access token (TEMPORAL_CODEC_PASS_ACCESS_TOKEN on the UI).
  let authorize: CodecServerOptions['authorize'];
  if (env.ROLLOUTS_CODEC_JWKS_FILE) {
    const issuer = env.ROLLOUTS_CODEC_JWT_ISSUER;
    const audience = env.ROLLOUTS_CODEC_JWT_AUDIENCE;
    if (!issuer || !audience)
      fail('ROLLOUTS_CODEC_JWKS_FILE needs ROLLOUTS_CODEC_JWT_ISSUER and ROLLOUTS_CODEC_JWT_AUDIENCE');
    try {
      authorize = jwtVerifier({
        jwks: JSON.parse(readFileSync(env.ROLLOUTS_CODEC_JWKS_FILE, 'utf8')) as Parameters<
          typeof jwtVerifier
        >[0]['jwks'],
        issuer: issuer!,
        audience: audience!,
      });
    } catch (err) {
      fail(
        `ROLLOUTS_CODEC_JWKS_FILE: cannot use '${env.ROLLOUTS_CODEC_JWKS_FILE}': ${(err as Error).message}`,
      );
    }
  }
  let server: RunningCodecServer;
  try {
    server = await startCodecServer({
      codec,
      port,
      host: env.ROLLOUTS_CODEC_SERVER_HOST || '127.0.0.1',
      corsOrigins,
      ...(token ? { token } : {}),
      ...(authorize ? { authorize } : {}),
      allowUnauthenticated: bool('ROLLOUTS_CODEC_ALLOW_UNAUTHENTICATED'),
      enableEncode: bool('ROLLOUTS_CODEC_ENABLE_ENCODE'),
      ...(env.ROLLOUTS_CODEC_ALLOWED_HOSTS ? { allowedHosts: list(env.ROLLOUTS_CODEC_ALLOWED_HOSTS) } : {}),
    });
  } catch (err) {
    if (err instanceof CodecServerConfigError) return fail(err.message);
    throw err;
  }
  process.stderr.write(
    `${JSON.stringify({ level: 'INFO', msg: 'codec server started', url: server.url, keyId: codec.keyId, corsOrigins, encode: bool('ROLLOUTS_CODEC_ENABLE_ENCODE'), auth: [token ? 'bearer token' : '', authorize ? 'OIDC JWT' : ''].filter(Boolean).join(' or ') || 'none (loopback, development)' })}\n`,
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

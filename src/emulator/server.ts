import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleControl } from './control-api.js';
import { EmulatorControl } from './control-client.js';
import { EmulatorCore } from './core.js';
import { CLOUDWATCH_TARGET_PREFIX } from './cloudwatch.js';
import { AwsError } from './errors.js';
import { loadStateFile } from './persistence.js';
import type { RateLimits } from './rate-limits.js';
import { classifyS3 } from './s3.js';
import type { RawResponse, ServiceRequest } from './service.js';
import { refusedKeyError, stsErrorResponse, stsOperation } from './sts.js';
import {
  DEFAULT_DURATIONS,
  type CallResource,
  type Durations,
  type RoleSpec,
  type ServiceName,
} from './types.js';
import { element, XML_DECLARATION } from './xml.js';

export type { Durations } from './types.js';
export type {
  CallRecord,
  ClockReading,
  DomainBacking,
  DomainConfiguration,
  EmulatorStateSnapshot,
  FaultRule,
  PlaceSelector,
  RoleSpec,
  SessionSnapshot,
} from './types.js';
export { EmulatorControl } from './control-client.js';

const TICK_MS = 200;

export interface EmulatorOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Load at start if present; saved (debounced) after each mutation and flushed on stop. */
  stateFile?: string;
  /** Seeds the PRNG of probabilistic fault rules, so chaos runs replay. */
  seed?: number;
  durations?: Partial<Durations>;
  /** Default 'us-east-1'. */
  region?: string;
  /** Default '123456789012'. */
  accountId?: string;
  /** AWS's rate limits per API family (rate-limits.ts); off when absent. */
  rateLimits?: RateLimits;
  /** IAM roles its STS lets callers assume (sts.ts); more through the control API. */
  roles?: RoleSpec[];
}

export interface RunningEmulator {
  url: string;
  port: number;
  control: EmulatorControl;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const core = new EmulatorCore({
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '123456789012',
    durations: { ...DEFAULT_DURATIONS, ...options.durations },
    ...(options.durations ? { durationOverrides: options.durations } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.stateFile !== undefined ? { stateFile: options.stateFile } : {}),
    ...(options.roles ? { roles: options.roles } : {}),
  });
  if (options.stateFile !== undefined) {
    const saved = loadStateFile(options.stateFile);
    if (saved) core.restore(saved);
  }

  if (options.rateLimits) core.rateLimits.set(options.rateLimits);

  const server = createServer((req, res) => {
    handleRequest(core, req, res).catch((err: unknown) => {
      console.error('emulator: request failed', err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('emulator internal error');
    });
  });
  // The SDK keeps connections alive; stop() closes them, so no request waits on a long timeout.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Associations settle on the emulator clock with no request to notice: backed domains' node files
  // must still follow, so they are synced on a short tick too.
  const ticker = setInterval(() => core.tick(), TICK_MS).unref();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    control: new EmulatorControl(url),
    stop() {
      stopped ??= (async () => {
        clearInterval(ticker);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await core.flush();
      })();
      return stopped;
    },
  };
}

async function handleRequest(core: EmulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const realAt = new Date();
  const started = performance.now();
  const body = await readBody(req);
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1));

  if (rawPath.startsWith('/_emulator/')) {
    send(res, method, await handleControl(core, method, rawPath, query, body));
    return;
  }

  const service = serviceOf(req.headers, query, rawPath);
  const { caller, region, place } = core.placeOf(req.headers, query);
  const requestId = randomUUID();
  const at = core.now();
  const resource: CallResource = {};
  let operation: string;
  let mutating: boolean;
  let dispatch: (request: ServiceRequest) => RawResponse;
  let params: Record<string, string> = {};
  let apiVersion: string | undefined;

  if (service === 's3') {
    const s3 = classifyS3(method, rawPath, query, req.headers);
    operation = s3?.operation ?? 'UnknownOperation';
    mutating = s3?.mutating ?? false;
    if (s3?.bucket !== undefined) resource.bucket = s3.bucket;
    if (s3?.key !== undefined) resource.key = s3.key;
    dispatch = (request) => {
      if (!s3)
        throw new AwsError('NotImplemented', 501, `${method} ${rawPath} is not implemented by the emulator`);
      return core.s3.handle(s3, request, {
        account: caller.account,
        region,
        arn: caller.arn,
        ...(caller.session ? { roleArn: caller.session.roleArn } : {}),
      });
    };
  } else if (service === 'monitoring') {
    // AWS JSON 1.0: the operation is in X-Amz-Target, not in the path.
    const target = String(req.headers['x-amz-target'] ?? '');
    operation = target.startsWith(CLOUDWATCH_TARGET_PREFIX)
      ? target.slice(CLOUDWATCH_TARGET_PREFIX.length)
      : 'UnknownOperation';
    mutating = operation === 'SetAlarmState';
    dispatch = (request) => {
      const out = place.cloudwatch.handle(request);
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify(out),
      };
    };
  } else if (service === 'sts') {
    operation = stsOperation(body, query);
    // AssumeRole hands out a session the state file keeps.
    mutating = operation === 'AssumeRole';
    dispatch = (request) => core.sts.handle(request, caller, requestId);
  } else {
    const target = service === 'es' ? place.opensearch : place.iot;
    const match = target.router.match(method, rawPath);
    operation = match?.operation ?? 'UnknownOperation';
    mutating = match?.mutating ?? false;
    params = match?.params ?? {};
    apiVersion = match?.apiVersion;
    dispatch = (request) => {
      if (!match) {
        throw new AwsError(
          'UnknownOperationException',
          404,
          `No ${service} operation for ${method} ${rawPath}`,
        );
      }
      return jsonResponse(target.handle(request));
    };
  }

  const rateLimited = !core.rateLimits.take(service, caller.account, region);
  const plan = rateLimited
    ? { latencyMs: 0, loseResponse: false, reject: 'throttle' as const }
    : core.faults.plan(service, operation, mutating, { account: caller.account, region });
  if (plan.latencyMs > 0) await sleep(plan.latencyMs);

  let response: RawResponse;
  let errorCode: string | undefined;
  if (plan.network === 'reset-before' || plan.network === 'hang') {
    // Not applied. A reset is a TCP RST now; a hang answers nothing until the client gives up.
    if (plan.network === 'reset-before') req.socket.resetAndDestroy();
    else await untilClosed(req);
    response = { status: 0, headers: {} };
  } else if (plan.reject) {
    const error = plan.reject === 'throttle' ? throttlingError(service) : internalError(service);
    errorCode = error.code;
    response = errorResponse(service, method, error, requestId);
  } else {
    const request: ServiceRequest = {
      operation,
      ...(apiVersion !== undefined ? { apiVersion } : {}),
      method,
      params,
      query,
      headers: req.headers,
      body,
      now: core.now(),
      resource,
    };
    try {
      // An ended session's key, or one sent without its token, acts nowhere.
      if (caller.refused) throw refusedKeyError(service, caller.refused);
      response = dispatch(request);
    } catch (err) {
      const error = err instanceof AwsError ? err : unexpected(service, err);
      errorCode = error.code;
      response = errorResponse(service, method, error, requestId);
    }
    if (mutating) core.markDirty();
    if (plan.network === 'reset-after') {
      // The change stands; the connection drops before any answer.
      req.socket.resetAndDestroy();
      response = { status: 0, headers: {} };
      errorCode = undefined;
    } else if (plan.loseResponse) {
      // The change stands; only the answer is lost, as when a connection drops after the commit.
      const error = internalError(service);
      errorCode = error.code;
      response = errorResponse(service, method, error, requestId);
    }
  }
  Object.assign(resource, { ...paramsResource(params), ...resource });
  response.headers =
    service === 's3'
      ? { ...response.headers, 'x-amz-request-id': requestId, 'x-amz-id-2': requestId }
      : { ...response.headers, 'x-amzn-requestid': requestId };
  if (plan.network === undefined) send(res, method, response);

  core.calls.add({
    seq: core.calls.nextSeq(),
    service,
    operation,
    mutating,
    at: new Date(at).toISOString(),
    realAt: realAt.toISOString(),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    httpStatus: response.status,
    ...(errorCode !== undefined ? { errorCode } : {}),
    ...(plan.kind !== undefined ? { fault: plan.kind } : {}),
    ...(rateLimited ? { rateLimited: true as const } : {}),
    ...(Object.keys(resource).length > 0 ? { resource: { ...resource } } : {}),
    account: caller.account,
    region,
  });
}

/** Handlers fill in what they learn (a package's name, say); the path supplies the rest. */
function paramsResource(params: Record<string, string>): CallResource {
  const out: CallResource = {};
  if (params.PackageID !== undefined) out.packageId = params.PackageID;
  if (params.DomainName !== undefined) out.domainName = params.DomainName;
  if (params.packageName !== undefined) out.packageName = params.packageName;
  if (params.versionName !== undefined) out.versionName = params.versionName;
  return out;
}

const SCOPE = /Credential=([^,\s]+)/;

/**
 * The SigV4 credential scope names the service (`AKID/date/region/SERVICE/aws4_request`).
 * Signatures are not verified. Unsigned requests fall back on the shape of the path.
 */
export function serviceOf(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  rawPath: string,
): ServiceName {
  const credential = SCOPE.exec(headers.authorization ?? '')?.[1] ?? query.get('X-Amz-Credential') ?? '';
  const scoped = credential.split('/')[3];
  if (scoped === 'es' || scoped === 'iot' || scoped === 's3' || scoped === 'monitoring' || scoped === 'sts')
    return scoped;
  if (rawPath.startsWith('/2021-01-01/') || rawPath.startsWith('/2015-01-01/')) return 'es';
  if (rawPath.startsWith('/packages/') || rawPath === '/packages') return 'iot';
  return 's3';
}

function jsonResponse(value: unknown): RawResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function throttlingError(service: ServiceName): AwsError {
  return service === 's3'
    ? new AwsError('SlowDown', 503, 'Please reduce your request rate.')
    : service === 'sts'
      ? new AwsError('Throttling', 400, 'Rate exceeded')
      : new AwsError('ThrottlingException', 400, 'Rate exceeded');
}

function internalError(service: ServiceName): AwsError {
  switch (service) {
    case 's3':
      return new AwsError('InternalError', 500, 'We encountered an internal error. Please try again.');
    case 'iot':
      return new AwsError('InternalServerException', 500, 'Internal server error');
    case 'es':
      return new AwsError('InternalException', 500, 'Internal error');
    case 'monitoring':
      return new AwsError('InternalServiceError', 500, 'Internal error');
    case 'sts':
      return new AwsError('InternalFailure', 500, 'An internal error occurred');
  }
}

function unexpected(service: ServiceName, err: unknown): AwsError {
  console.error('emulator: handler failed', err);
  const error = internalError(service);
  return new AwsError(error.code, error.httpStatus, err instanceof Error ? err.message : String(err));
}

function errorResponse(
  service: ServiceName,
  method: string,
  error: AwsError,
  requestId: string,
): RawResponse {
  if (service === 's3') {
    if (method === 'HEAD') return { status: error.httpStatus, headers: {} };
    const extra = Object.entries(error.extra)
      .map(([k, v]) => element(k, v))
      .join('');
    return {
      status: error.httpStatus,
      headers: { 'content-type': 'application/xml' },
      body: `${XML_DECLARATION}<Error>${element('Code', error.code)}${element('Message', error.message)}${extra}${element('RequestId', requestId)}</Error>`,
    };
  }
  if (service === 'sts') return stsErrorResponse(error, requestId);
  if (service === 'monitoring')
    // AWS JSON 1.0, query-compatible: the code in __type and in x-amzn-query-error (Code;Fault).
    return {
      status: error.httpStatus,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': `${error.code};${error.httpStatus >= 500 ? 'Receiver' : 'Sender'}`,
      },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  return {
    status: error.httpStatus,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code },
    body: JSON.stringify({ message: error.message, ...error.extra }),
  };
}

function send(res: ServerResponse, method: string, response: RawResponse): void {
  const body = method === 'HEAD' || response.body === undefined ? undefined : response.body;
  const headers: Record<string, string> = { ...response.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  else if (headers['content-length'] === undefined) headers['content-length'] = '0';
  res.writeHead(response.status, headers);
  res.end(body);
}

/** Resolves when the client (or stop()) closes the request's connection. */
function untilClosed(req: IncomingMessage): Promise<void> {
  if (req.socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => req.socket.once('close', () => resolve()));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { DataConverter } from '@temporalio/common';
import { PayloadKeyConfigError, payloadCodecFromEnv } from './codec/env.js';
import { DEFAULT_TASK_QUEUE } from './model/constants.js';
import type { OutboundPolicy } from './net/outbound-url.js';

/**
 * Configuration from the environment. Every variable has a documented default (README,
 * "Configuration"); a bad value stops the process at start with a message naming the variable.
 * AWS settings are deliberately absent: the SDK reads its own variables (AWS_REGION,
 * AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_PROFILE, ...) and the default credential chain.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Temporal Cloud / mTLS. */
  tls?:
    | { serverName?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } }
    | true;
  apiKey?: string;
  /** Payload encryption (ROLLOUTS_PAYLOAD_KEY): pass to the Worker and to every Client. */
  dataConverter?: DataConverter;
  /** The id of the key new payloads are encrypted with; undefined = encryption off. */
  payloadKeyId?: string;
}

/** One allowed source: a bucket, and optionally a key prefix inside it. */
export interface SourceBucketRule {
  bucket: string;
  prefix: string;
}

/** What the staging activity may read and how many run at once (per worker). */
export interface StagingConfig {
  /** ROLLOUTS_SOURCE_BUCKETS; undefined = any bucket the worker's IAM role can read. */
  sourceBuckets?: SourceBucketRule[];
  /** ROLLOUTS_STAGING_CONCURRENCY: stagings running at once in this worker. */
  stagingConcurrency: number;
  /** ROLLOUTS_OUTBOUND_ALLOW, ROLLOUTS_OUTBOUND_ALLOW_LOOPBACK: user-given URLs. */
  outbound: OutboundPolicy;
}

export interface WorkerConfig extends TemporalConfig, StagingConfig {
  /** host:port for a Prometheus scrape endpoint; off when unset. */
  metricsAddress?: string;
  shutdownGraceSeconds: number;
  maxConcurrentActivities: number;
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** A prebuilt workflow bundle (npm run build writes dist/workflow-bundle.js). */
  workflowBundlePath?: string;
  /** ROLLOUTS_FAIL_ON_NONDETERMINISM: fail runs on a non-deterministic change instead of blocking them. */
  failOnNondeterminism: boolean;
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (v.trim() !== v) throw new ConfigError(`${name} must not have leading or trailing spaces`);
  return v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${v}'`);
  return n;
}

function hostPort(name: string, value: string): string {
  const port = Number(/^[A-Za-z0-9.\-[\]:]+:(\d{1,5})$/.exec(value)?.[1]);
  if (!(port >= 1 && port <= 65535))
    throw new ConfigError(`${name} must be host:port with a port from 1 to 65535, got '${value}'`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (v !== 'true' && v !== 'false') throw new ConfigError(`${name} must be true or false, got '${v}'`);
  return v === 'true';
}

function readFile(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read '${path}': ${(err as Error).message}`);
  }
}

export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const address = hostPort('TEMPORAL_ADDRESS', str(env, 'TEMPORAL_ADDRESS', 'localhost:7233'));
  const namespace = str(env, 'TEMPORAL_NAMESPACE', 'default');
  const taskQueue = str(env, 'ROLLOUTS_TASK_QUEUE', DEFAULT_TASK_QUEUE);
  const config: TemporalConfig = { address, namespace, taskQueue };
  const cert = env.TEMPORAL_TLS_CERT;
  const key = env.TEMPORAL_TLS_KEY;
  if (Boolean(cert) !== Boolean(key))
    throw new ConfigError(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS client certificate)',
    );
  const tlsWanted = env.TEMPORAL_TLS === 'true' || Boolean(cert) || Boolean(env.TEMPORAL_API_KEY);
  if (env.TEMPORAL_TLS !== undefined && !['true', 'false', ''].includes(env.TEMPORAL_TLS))
    throw new ConfigError(`TEMPORAL_TLS must be true or false, got '${env.TEMPORAL_TLS}'`);
  if (tlsWanted && env.TEMPORAL_TLS !== 'false') {
    const tls: Exclude<TemporalConfig['tls'], true | undefined> = {};
    if (env.TEMPORAL_TLS_SERVER_NAME) tls.serverName = env.TEMPORAL_TLS_SERVER_NAME;
    if (env.TEMPORAL_TLS_CA) tls.serverRootCACertificate = readFile('TEMPORAL_TLS_CA', env.TEMPORAL_TLS_CA);
    if (cert && key)
      tls.clientCertPair = {
        crt: readFile('TEMPORAL_TLS_CERT', cert),
        key: readFile('TEMPORAL_TLS_KEY', key),
      };
    config.tls = Object.keys(tls).length > 0 ? tls : true;
  }
  if (env.TEMPORAL_API_KEY) config.apiKey = env.TEMPORAL_API_KEY;
  try {
    const codec = payloadCodecFromEnv(env);
    if (codec) {
      config.dataConverter = { payloadCodecs: [codec] };
      config.payloadKeyId = codec.keyId;
    }
  } catch (err) {
    if (err instanceof PayloadKeyConfigError) throw new ConfigError(err.message);
    throw err;
  }
  return config;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function list(env: Env, name: string): string[] | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * ROLLOUTS_SOURCE_BUCKETS: `bucket` or `bucket/prefix`, comma separated. The same list the IAM
 * policy generator takes (deploy/iam-policy.ts), so the worker refuses what its role would.
 */
function sourceBuckets(env: Env): SourceBucketRule[] | undefined {
  const entries = list(env, 'ROLLOUTS_SOURCE_BUCKETS');
  if (!entries) return undefined;
  return entries.map((entry) => {
    const slash = entry.indexOf('/');
    const bucket = slash < 0 ? entry : entry.slice(0, slash);
    const prefix = slash < 0 ? '' : entry.slice(slash + 1);
    if (!BUCKET.test(bucket) || bucket.includes('..'))
      throw new ConfigError(
        `ROLLOUTS_SOURCE_BUCKETS: '${entry}' must be a bucket name (3-63 of a-z, 0-9, '.', '-') optionally followed by /prefix`,
      );
    if (prefix.includes('*'))
      throw new ConfigError(`ROLLOUTS_SOURCE_BUCKETS: '${entry}': a prefix is literal, without '*'`);
    return { bucket, prefix };
  });
}

function outboundPolicy(env: Env): OutboundPolicy {
  const allowHosts: string[] = [];
  const allowCidrs: string[] = [];
  for (const entry of list(env, 'ROLLOUTS_OUTBOUND_ALLOW') ?? []) {
    if (entry.includes('/')) {
      const [net, bits] = entry.split('/');
      const family = isIP(net ?? '');
      const prefix = Number(bits);
      if (!family || !/^\d+$/.test(bits ?? '') || prefix > (family === 4 ? 32 : 128))
        throw new ConfigError(
          `ROLLOUTS_OUTBOUND_ALLOW: '${entry}' is not a CIDR (e.g. 10.1.0.0/16, fd12::/48)`,
        );
      allowCidrs.push(entry);
    } else if (
      !isIP(entry) &&
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry)
    )
      allowHosts.push(entry.toLowerCase());
    else
      throw new ConfigError(
        `ROLLOUTS_OUTBOUND_ALLOW: '${entry}' must be a host name or a CIDR (an address alone: write /32 or /128)`,
      );
  }
  return { allowHosts, allowCidrs, allowLoopback: bool(env, 'ROLLOUTS_OUTBOUND_ALLOW_LOOPBACK', true) };
}

export function loadStagingConfig(env: Env = process.env): StagingConfig {
  const buckets = sourceBuckets(env);
  return {
    ...(buckets ? { sourceBuckets: buckets } : {}),
    stagingConcurrency: int(env, 'ROLLOUTS_STAGING_CONCURRENCY', 4, 1, 100),
    outbound: outboundPolicy(env),
  };
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const levels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
  const logLevel = str(env, 'ROLLOUTS_LOG_LEVEL', 'INFO').toUpperCase();
  if (!(levels as readonly string[]).includes(logLevel))
    throw new ConfigError(
      `ROLLOUTS_LOG_LEVEL must be one of ${levels.join(', ')}, got '${env.ROLLOUTS_LOG_LEVEL}'`,
    );
  const metrics = env.ROLLOUTS_METRICS_ADDRESS;
  return {
    ...loadTemporalConfig(env),
    metricsAddress: metrics ? hostPort('ROLLOUTS_METRICS_ADDRESS', metrics) : undefined,
    shutdownGraceSeconds: int(env, 'ROLLOUTS_SHUTDOWN_GRACE_SECONDS', 30, 0, 3600),
    maxConcurrentActivities: int(env, 'ROLLOUTS_MAX_CONCURRENT_ACTIVITIES', 100, 1, 2000),
    logLevel: logLevel as WorkerConfig['logLevel'],
    workflowBundlePath: bundlePath(env.ROLLOUTS_WORKFLOW_BUNDLE),
    failOnNondeterminism: bool(env, 'ROLLOUTS_FAIL_ON_NONDETERMINISM', false),
    ...loadStagingConfig(env),
  };
}

function bundlePath(path: string | undefined): string | undefined {
  if (!path) return undefined;
  if (!existsSync(path))
    throw new ConfigError(
      `ROLLOUTS_WORKFLOW_BUNDLE: no file at '${path}' (npm run build writes dist/workflow-bundle.js)`,
    );
  return path;
}

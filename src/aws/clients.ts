import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { IoTClient } from '@aws-sdk/client-iot';
import { OpenSearchClient, type OpenSearchClientConfig } from '@aws-sdk/client-opensearch';
import { S3Client } from '@aws-sdk/client-s3';
import { instrumentAwsClients } from '../tracing/aws-clients.js';
import { ConfigError } from '../config.js';

export interface AwsClients {
  opensearch: OpenSearchClient;
  /**
   * The same settings with the SDK's own retries off, for calls that are neither idempotent nor
   * tokened (UpdatePackage makes a new version per call): the SDK would resend after a lost
   * response and make a second version. Their retries go through the activity instead, which first
   * looks whether the earlier attempt took effect.
   */
  opensearchSingleAttempt: OpenSearchClient;
  iot: IoTClient;
  s3: S3Client;
  /** Alarm gates (DescribeAlarms). */
  cloudwatch: CloudWatchClient;
}

export interface AwsClientOptions {
  region?: string;
  /** One endpoint for every service (the emulator); otherwise the SDK's own resolution applies. */
  endpoint?: string;
  /** Static credentials, or a provider (a role's session: places.ts). */
  credentials?: NonNullable<OpenSearchClientConfig['credentials']>;
  maxAttempts?: number;
}

/**
 * Explicit network timeouts (the SDK's default is none: a connection that never answers would hold
 * the activity until its start-to-close timeout). Both end the attempt with an error the SDK and
 * the activity retry.
 * - ROLLOUTS_AWS_CONNECT_TIMEOUT_MS [5000]: establishing the TCP (and TLS) connection.
 * - ROLLOUTS_AWS_REQUEST_TIMEOUT_MS [20000]: no byte sent or received on the connection for this
 *   long (an idle limit, so a large upload that keeps moving is not cut off).
 */
export function awsTimeoutsFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    connectionTimeout: timeoutMs(env, 'ROLLOUTS_AWS_CONNECT_TIMEOUT_MS', 5_000),
    socketTimeout: timeoutMs(env, 'ROLLOUTS_AWS_REQUEST_TIMEOUT_MS', 20_000),
  };
}

function timeoutMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 100 || value > 600_000)
    throw new ConfigError(`${name} must be a whole number of milliseconds from 100 to 600000, got '${raw}'`);
  return value;
}

/**
 * With no options the SDK resolves everything itself: region and credentials from the default
 * chain, endpoints from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>. Path-style S3 is needed by
 * endpoints that are not AWS (the emulator), so it follows from an endpoint being configured.
 */
export function createAwsClients(options: AwsClientOptions = {}, env = process.env): AwsClients {
  const common = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    requestHandler: awsTimeoutsFromEnv(env),
  };
  const customS3Endpoint = Boolean(options.endpoint || env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
  // With tracing on (src/tracing), a span per SDK call; otherwise the clients as built.
  return instrumentAwsClients({
    opensearch: new OpenSearchClient(common),
    opensearchSingleAttempt: new OpenSearchClient({ ...common, maxAttempts: 1 }),
    iot: new IoTClient(common),
    // WHEN_REQUIRED: no default CRC trailers on PutObject, which S3-compatible stores (and the
    // emulator) do not all accept; integrity comes from the content-addressed sha256 key instead.
    s3: new S3Client({
      ...common,
      forcePathStyle: customS3Endpoint,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    cloudwatch: new CloudWatchClient(common),
  });
}

export function destroyAwsClients(clients: AwsClients): void {
  clients.opensearch.destroy();
  clients.opensearchSingleAttempt.destroy();
  clients.iot.destroy();
  clients.s3.destroy();
  clients.cloudwatch.destroy();
}

/** What the repository's own tools sign with against the emulator (it takes any credentials). */
export const EMULATOR_DEMO_CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };

/**
 * Clients for the repository's AWS emulator (CLI `emulator` and `dev`, tests, chaos, bench): every
 * service at one endpoint, in us-east-1. The emulator takes any credentials; pass real-looking ones
 * where a check needs to find them (e.g. that none reach workflow history).
 */
export function createEmulatorAwsClients(
  endpoint: string,
  options: Pick<AwsClientOptions, 'credentials' | 'maxAttempts'> = {},
): AwsClients {
  return createAwsClients({
    endpoint,
    region: 'us-east-1',
    credentials: options.credentials ?? EMULATOR_DEMO_CREDENTIALS,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
}

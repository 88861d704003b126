import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { IoTClient } from '@aws-sdk/client-iot';
import { OpenSearchClient } from '@aws-sdk/client-opensearch';
import { S3Client } from '@aws-sdk/client-s3';

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
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
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
  };
  const customS3Endpoint = Boolean(options.endpoint || env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
  return {
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
  };
}

export function destroyAwsClients(clients: AwsClients): void {
  clients.opensearch.destroy();
  clients.opensearchSingleAttempt.destroy();
  clients.iot.destroy();
  clients.s3.destroy();
  clients.cloudwatch.destroy();
}

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
    credentials: options.credentials ?? { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
}

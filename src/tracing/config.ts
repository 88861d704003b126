/**
 * Tracing configuration from the standard OpenTelemetry variables. Reading it loads no
 * OpenTelemetry module: the SDK is imported (src/tracing/otel.ts) only when this says tracing is on.
 *
 * Off by default. On when OTEL_TRACES_EXPORTER=otlp, or when an OTLP endpoint variable is set and
 * OTEL_TRACES_EXPORTER is not `none`. OTEL_SDK_DISABLED=true turns it off whatever else is set.
 */
import { ConfigError } from '../config.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingConfig {
  /** Where spans are POSTed (the full /v1/traces URL). */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
}

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const DEFAULT_BASE = 'http://localhost:4318';

/** undefined = tracing off. A bad value throws ConfigError naming the variable. */
export function loadTracingConfig(
  env: NodeJS.ProcessEnv,
  defaultServiceName: string,
): TracingConfig | undefined {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled === 'true') return undefined;
  if (disabled !== undefined && disabled !== '' && disabled !== 'false')
    throw new ConfigError(`OTEL_SDK_DISABLED must be true or false, got '${env.OTEL_SDK_DISABLED}'`);

  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() || undefined;
  if (exporter !== undefined && exporter !== 'otlp' && exporter !== 'none')
    throw new ConfigError(
      `OTEL_TRACES_EXPORTER must be otlp or none (this worker exports OTLP only), got '${env.OTEL_TRACES_EXPORTER}'`,
    );
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || undefined;
  const baseEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
  if (exporter === 'none') return undefined;
  if (exporter === undefined && !tracesEndpoint && !baseEndpoint) return undefined;

  // As the OTLP specification says: the signal endpoint is used as is, the base gets /v1/traces.
  const url = tracesEndpoint
    ? httpUrl(tracesEndpoint, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
    : `${httpUrl(baseEndpoint ?? DEFAULT_BASE, 'OTEL_EXPORTER_OTLP_ENDPOINT').replace(/\/+$/, '')}/v1/traces`;

  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim()
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[protocolVar]?.trim() || 'http/protobuf';
  if (!PROTOCOLS.includes(protocol as OtlpProtocol))
    throw new ConfigError(
      `${protocolVar} must be http/protobuf or http/json (grpc is not supported), got '${protocol}'`,
    );

  const serviceName = env.OTEL_SERVICE_NAME?.trim() || defaultServiceName;
  return { url, protocol: protocol as OtlpProtocol, serviceName };
}

function httpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`${name} must be an http:// or https:// URL, got '${value}'`);
  return value;
}

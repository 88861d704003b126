import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { loadTracingConfig } from '../../src/tracing/config.js';

const load = (env: NodeJS.ProcessEnv) => loadTracingConfig(env, 'default-service');

describe('tracing configuration (OTEL_*)', () => {
  it('is off by default, with OTEL_TRACES_EXPORTER=none, and with OTEL_SDK_DISABLED=true', () => {
    expect(load({})).toBeUndefined();
    expect(
      load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined();
    expect(load({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });

  it('is on with OTEL_TRACES_EXPORTER=otlp (default endpoint) or with an endpoint set', () => {
    expect(load({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({
      url: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'default-service',
    });
    // The base endpoint gets /v1/traces; the traces endpoint is used as is and wins.
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318/' })?.url).toBe(
      'https://collector:4318/v1/traces',
    );
    expect(
      load({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'rollouts-eu',
      }),
    ).toEqual({ url: 'http://b:9999/custom', protocol: 'http/json', serviceName: 'rollouts-eu' });
    // The signal-specific protocol wins over the general one.
    expect(
      load({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      })?.protocol,
    ).toBe('http/protobuf');
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, /^OTEL_TRACES_EXPORTER must be otlp or none .*got 'zipkin'/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /^OTEL_EXPORTER_OTLP_ENDPOINT must be an http/],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://x:4317' },
      /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http/,
    ],
    [
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /^OTEL_EXPORTER_OTLP_PROTOCOL must be/,
    ],
    [
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'json' },
      /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be/,
    ],
    [{ OTEL_SDK_DISABLED: 'yes' }, /^OTEL_SDK_DISABLED must be true or false/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});

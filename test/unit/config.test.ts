import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadTemporalConfig, loadWorkerConfig } from '../../src/config.js';

describe('worker configuration', () => {
  it('has documented defaults', () => {
    expect(loadWorkerConfig({})).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'package-rollouts',
      metricsAddress: undefined,
      shutdownGraceSeconds: 30,
      maxConcurrentActivities: 100,
      logLevel: 'INFO',
      workflowBundlePath: undefined,
      failOnNondeterminism: false,
      stagingConcurrency: 4,
      outbound: { allowHosts: [], allowCidrs: [], allowLoopback: true },
    });
  });

  it.each([
    [{ TEMPORAL_ADDRESS: 'no-port' }, /TEMPORAL_ADDRESS must be host:port/],
    [
      { TEMPORAL_ADDRESS: 'localhost:99999' },
      /TEMPORAL_ADDRESS must be host:port with a port from 1 to 65535/,
    ],
    [{ ROLLOUTS_METRICS_ADDRESS: '0.0.0.0:0' }, /ROLLOUTS_METRICS_ADDRESS must be host:port/],
    [{ ROLLOUTS_WORKFLOW_BUNDLE: '/nonexistent/bundle.js' }, /ROLLOUTS_WORKFLOW_BUNDLE: no file at/],
    [{ ROLLOUTS_FAIL_ON_NONDETERMINISM: 'yes' }, /ROLLOUTS_FAIL_ON_NONDETERMINISM must be true or false/],
    [{ ROLLOUTS_SHUTDOWN_GRACE_SECONDS: 'soon' }, /ROLLOUTS_SHUTDOWN_GRACE_SECONDS must be a whole number/],
    [
      { ROLLOUTS_MAX_CONCURRENT_ACTIVITIES: '0' },
      /ROLLOUTS_MAX_CONCURRENT_ACTIVITIES must be a whole number from 1/,
    ],
    [{ ROLLOUTS_LOG_LEVEL: 'LOUD' }, /ROLLOUTS_LOG_LEVEL must be one of/],
    [{ ROLLOUTS_METRICS_ADDRESS: ':::' }, /ROLLOUTS_METRICS_ADDRESS must be host:port/],
    [{ TEMPORAL_TLS_CERT: '/x.pem' }, /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together/],
    [{ TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS must be true or false/],
    [{ TEMPORAL_TLS_CERT: '/nope.pem', TEMPORAL_TLS_KEY: '/nope.key' }, /TEMPORAL_TLS_CERT: cannot read/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadWorkerConfig(env)).toThrow(ConfigError);
    expect(() => loadWorkerConfig(env)).toThrow(message);
  });

  it('reads mTLS files and API keys for Temporal Cloud', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    const config = loadTemporalConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_TLS_CERT: join(dir, 'c.pem'),
      TEMPORAL_TLS_KEY: join(dir, 'k.pem'),
    });
    expect(config.tls).toMatchObject({
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
    expect(loadTemporalConfig({ TEMPORAL_API_KEY: 'k' })).toMatchObject({ apiKey: 'k', tls: true });
  });
});

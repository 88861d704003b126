import { ListDomainNamesCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ASSUMED_AWS_LIMITS, RateLimiter, parseRateLimitFlag } from '../../src/emulator/rate-limits.js';
import { credentials, failure, useEmulator } from './harness.js';

const h = useEmulator();

describe('rate limits (token buckets per account, Region and API family)', () => {
  it('answers a call over the OpenSearch limit as AWS does: ThrottlingException, Rate exceeded, HTTP 400', async () => {
    await h.control.setRateLimits({ es: { rate: 0.01, burst: 3 } });
    for (let i = 0; i < 3; i++) await h.once.opensearch.send(new ListDomainNamesCommand({}));
    const refused = await failure(h.once.opensearch.send(new ListDomainNamesCommand({})));
    expect(refused).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', status: 400 });
    // Another family has its own bucket (none here): S3 still answers.
    await h.once.s3.send(new ListBucketsCommand({}));
    const calls = await h.control.calls({ service: 'es' });
    expect(calls.map((c) => c.rateLimited ?? false)).toEqual([false, false, false, true]);
    const { limits, counts } = await h.control.rateLimits();
    expect(limits).toEqual({ es: { rate: 0.01, burst: 3 } });
    expect(counts['123456789012/us-east-1/es']).toEqual({ allowed: 3, throttled: 1 });
  });

  it('keeps a bucket per Region: another Region is not throttled by the first one', async () => {
    await h.control.setRateLimits({ es: { rate: 0.01, burst: 1 } });
    await h.once.opensearch.send(new ListDomainNamesCommand({}));
    const west = new OpenSearchClient({
      endpoint: h.emulator.url,
      region: 'eu-west-1',
      credentials,
      maxAttempts: 1,
    });
    await west.send(new ListDomainNamesCommand({}));
    west.destroy();
    expect(await failure(h.once.opensearch.send(new ListDomainNamesCommand({})))).toMatchObject({
      name: 'ThrottlingException',
    });
  });

  it('refills at the rate and never holds more than the burst', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    limiter.set({ es: { rate: 10, burst: 2 } });
    const take = () => limiter.take('es', 'a', 'r');
    expect([take(), take(), take()]).toEqual([true, true, false]);
    now += 100; // one token
    expect([take(), take()]).toEqual([true, false]);
    now += 10_000; // refills to the burst, not beyond
    expect([take(), take(), take()]).toEqual([true, true, false]);
    limiter.set({ es: null });
    expect(take()).toBe(true);
  });

  it('reads the CLI flag, with the assumed AWS limit when no numbers are given', () => {
    expect(parseRateLimitFlag('es')).toEqual({ family: 'es', limit: { rate: 10, burst: 20 } });
    expect(parseRateLimitFlag('iot=5,8')).toEqual({ family: 'iot', limit: { rate: 5, burst: 8 } });
    expect(() => parseRateLimitFlag('es=0')).toThrow(/rate > 0/);
    expect(parseRateLimitFlag('sts=2')).toEqual({ family: 'sts', limit: { rate: 2, burst: 2 } });
    expect(parseRateLimitFlag('monitoring')).toEqual({ family: 'monitoring', limit: { rate: 9, burst: 9 } });
    expect(() => parseRateLimitFlag('ec2=1')).toThrow(/one of es, iot, s3, monitoring, sts/);
  });

  it('sets every family the limiter knows through the control API, CloudWatch (monitoring) included', async () => {
    const limits = await h.control.setRateLimits(ASSUMED_AWS_LIMITS);
    expect(limits).toEqual(ASSUMED_AWS_LIMITS);
    expect((await h.control.setRateLimits({ monitoring: null })).monitoring).toBeUndefined();
  });

  it('refuses a bad limit on the control API, naming the field', async () => {
    await expect(h.control.setRateLimits({ es: { rate: -1, burst: 1 } })).rejects.toThrow(/es\.rate/);
  });
});

/**
 * AWS's request rate limits, as the emulator enforces them: one token bucket per account, Region
 * and API family (the OpenSearch Service control plane `es`, IoT `iot`, S3 `s3`). A call takes a
 * token or is answered as AWS answers a call over the limit (ThrottlingException "Rate exceeded",
 * HTTP 400, for OpenSearch; server.ts builds the answer). A throttled call takes no token, as on
 * AWS, so a client that keeps retrying at once keeps being refused until the bucket refills.
 *
 * Off until set (control API `PUT /_emulator/rate-limits`, CLI `--rate-limit`), so tests and
 * benchmarks that do not measure limits are not slowed by them. Buckets run on the wall clock,
 * not the emulator clock: a scaled clock speeds AWS's processing up, not the caller's budget.
 */
import type { ServiceName } from './types.js';

export interface RateLimit {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: how many calls may arrive at once after a quiet spell. */
  burst: number;
}

export type RateLimits = Partial<Record<ServiceName, RateLimit>>;

/**
 * What the emulator assumes AWS allows when a family's limit is switched on without numbers.
 * AWS publishes no per-operation figures for these control planes; these are assumptions, of the
 * order operators report (OpenSearch Service control plane ~10 requests/s), documented in
 * docs/rate-limits.md. S3's is its documented per-prefix PUT rate, CloudWatch's its DescribeAlarms quota.
 */
export const ASSUMED_AWS_LIMITS: Readonly<Record<ServiceName, RateLimit>> = {
  es: { rate: 10, burst: 20 },
  iot: { rate: 10, burst: 20 },
  s3: { rate: 3500, burst: 3500 },
  // CloudWatch's documented DescribeAlarms quota: 9 transactions per second per Region.
  monitoring: { rate: 9, burst: 9 },
  // STS's documented request quota for AssumeRole and the other operations: 600 per second per account and Region.
  sts: { rate: 600, burst: 600 },
};

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimitCounts {
  /** `account/region/family` -> calls let through and calls throttled since the last reset. */
  [bucket: string]: { allowed: number; throttled: number };
}

export class RateLimiter {
  private limits: RateLimits = {};
  private readonly buckets = new Map<string, Bucket>();
  private counts: RateLimitCounts = {};

  constructor(private readonly nowMs: () => number = () => performance.now()) {}

  /** Replaces the limits of the families named; `null` switches a family's limit off. */
  set(change: Partial<Record<ServiceName, RateLimit | null>>): RateLimits {
    for (const [family, limit] of Object.entries(change) as Array<[ServiceName, RateLimit | null]>) {
      if (limit === null) delete this.limits[family];
      else this.limits[family] = { ...limit };
      for (const key of [...this.buckets.keys()]) if (key.endsWith(`/${family}`)) this.buckets.delete(key);
    }
    return this.get();
  }

  get(): RateLimits {
    return structuredClone(this.limits);
  }

  stats(): RateLimitCounts {
    return structuredClone(this.counts);
  }

  clear(): void {
    this.limits = {};
    this.buckets.clear();
    this.counts = {};
  }

  /** Whether a call may go ahead now; when it may, it takes a token. */
  take(family: ServiceName, accountId: string, region: string): boolean {
    const limit = this.limits[family];
    if (!limit) return true;
    const key = `${accountId}/${region}/${family}`;
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    const count = (this.counts[key] ??= { allowed: 0, throttled: 0 });
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      count.allowed++;
      return true;
    }
    count.throttled++;
    return false;
  }
}

/** `es=10,20` or `es` (the assumed AWS limit) from the CLI's `--rate-limit`. */
export function parseRateLimitFlag(value: string): { family: ServiceName; limit: RateLimit } {
  const [family, numbers] = value.split('=');
  if (!isRateLimitFamily(family))
    throw new Error(
      `--rate-limit must start with one of ${Object.keys(ASSUMED_AWS_LIMITS).join(', ')}, got ${value}`,
    );
  if (numbers === undefined) return { family, limit: { ...ASSUMED_AWS_LIMITS[family] } };
  const [rate, burst, ...rest] = numbers.split(',').map(Number);
  if (rate === undefined || !(rate > 0) || rest.length > 0 || (burst !== undefined && !(burst >= 1)))
    throw new Error(`--rate-limit must be family=rate[,burst] with rate > 0 and burst >= 1, got ${value}`);
  return { family, limit: { rate, burst: burst ?? Math.max(1, Math.ceil(rate)) } };
}

/** Every family the limiter knows (the control API's too) can be limited from the CLI. */
function isRateLimitFamily(family: string | undefined): family is ServiceName {
  return family !== undefined && Object.hasOwn(ASSUMED_AWS_LIMITS, family);
}

/** The region a SigV4 credential scope names (`AKID/date/REGION/service/aws4_request`). */
export function regionOfCredential(authorization: string | undefined, fallback: string): string {
  return /Credential=[^/,\s]+\/[^/]+\/([^/]+)\//.exec(authorization ?? '')?.[1] ?? fallback;
}

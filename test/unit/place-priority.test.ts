import { describe, expect, it } from 'vitest';
import { callPriority } from '../../src/model/call-priority.js';
import { placeSchema } from '../../src/model/place.js';
import { placeCallPriority } from '../../src/workflows/place-priority.js';

describe('placeCallPriority: the activity priority of a call in a place', () => {
  const priority = callPriority.parse({ calls: 4 });
  const place = placeSchema.parse({
    region: 'eu-west-1',
    roleArn: 'arn:aws:iam::123456789012:role/rollouts',
  });

  it('orders by the run priority and shares the queue by place (Region + account)', () => {
    expect(placeCallPriority(priority, place)).toEqual({
      priorityKey: 4,
      fairnessKey: 'eu-west-1/123456789012',
    });
    expect(placeCallPriority(priority, place, 'cleanup')).toEqual({
      priorityKey: 1,
      fairnessKey: 'eu-west-1/123456789012',
    });
  });

  it("gives two accounts in one Region two keys, and the worker's own place one key of its own", () => {
    const other = placeSchema.parse({
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::210987654321:role/rollouts',
    });
    expect(placeCallPriority(priority, other).fairnessKey).not.toBe(
      placeCallPriority(priority, place).fairnessKey,
    );
    expect(placeCallPriority(priority, undefined)).toEqual({ priorityKey: 4, fairnessKey: 'default' });
  });

  it('keeps every key within the 64 bytes Temporal allows a fairness key', () => {
    const longest = placeSchema.parse({
      region: 'ap-southeast-5',
      roleArn: 'arn:aws-us-gov:iam::123456789012:role/a',
    });
    expect(Buffer.byteLength(placeCallPriority(priority, longest).fairnessKey!)).toBeLessThanOrEqual(64);
  });
});

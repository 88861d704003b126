import { describe, expect, it } from 'vitest';
import { headline } from '../../src/cli/watch.js';
import { dictionaryRolloutInput } from '../../src/model/dictionary-rollout.js';
import { BAKE_SECONDS_MAX, notificationsInput, webhookGate } from '../../src/model/health-gates.js';

const base = {
  packageName: 'synonyms',
  source: { kind: 'inline', text: 'a\n' },
  staging: { bucket: 'stage-bucket' },
  domains: ['d-1', 'd-2'],
};

describe('health gate input', () => {
  it('fills defaults: no bake, alarms checked every 60 s, webhooks retried twice with a 10 s timeout', () => {
    const parsed = dictionaryRolloutInput.parse({
      ...base,
      policy: {
        gates: { alarms: { names: ['x'] }, webhooks: [{ name: 'w', url: 'https://ci.example.com/h' }] },
      },
    });
    expect(parsed.policy.bakeSeconds).toBe(0);
    expect(parsed.policy.gates?.alarms).toEqual({
      names: ['x'],
      prefixes: [],
      failOnInsufficientData: false,
      checkIntervalSeconds: 60,
    });
    expect(parsed.policy.gates?.webhooks[0]).toMatchObject({ retries: 2, timeoutSeconds: 10 });
  });

  it('counts {domain} at the longest domain name against the 255-character alarm name limit', () => {
    const fits = `${'a'.repeat(255 - 28)}{domain}`;
    const over = `${'a'.repeat(255 - 27)}{domain}`;
    const ok = (name: string) =>
      dictionaryRolloutInput.safeParse({ ...base, policy: { gates: { alarms: { names: [name] } } } }).success;
    expect(ok(fits)).toBe(true);
    expect(ok(over)).toBe(false);
    expect(ok('a'.repeat(255))).toBe(true);
    expect(ok('a'.repeat(256))).toBe(false);
  });

  it('bakeSeconds has a documented bound', () => {
    const bake = (s: number) =>
      dictionaryRolloutInput.safeParse({ ...base, policy: { bakeSeconds: s } }).success;
    expect(bake(BAKE_SECONDS_MAX)).toBe(true);
    expect(bake(BAKE_SECONDS_MAX + 1)).toBe(false);
  });

  it('tokens are named, never given, and only ROLLOUTS_SECRET_ names can be read', () => {
    const hook = (extra: object) =>
      webhookGate.safeParse({ name: 'w', url: 'https://h.example.com/', ...extra }).success;
    expect(hook({ bearerTokenEnv: 'ROLLOUTS_SECRET_CI' })).toBe(true);
    expect(hook({ bearerTokenEnv: 'AWS_SECRET_ACCESS_KEY' })).toBe(false);
    expect(hook({ bearerToken: 'abc' })).toBe(false); // strict: no field carries a secret value
    expect(hook({ url: 'https://user:pw@h.example.com/' })).toBe(false);
    expect(hook({ url: 'http://127.0.0.1:8080/' })).toBe(true);
    expect(hook({ url: 'http://hooks.example.com/' })).toBe(false);
    expect(notificationsInput.safeParse({ url: 'https://h.example.com/', events: [] }).success).toBe(false);
  });
});

describe('rollouts watch', () => {
  it('shows a failed gate with its alarm and reason, and the bake', () => {
    const line = headline({
      phase: 'done',
      bakeUntil: Date.UTC(2026, 0, 1),
      gateFailures: [
        { gate: 'alarm', wave: 0, alarm: 'opensearch-a-red', reason: 'ClusterStatus.red >= 1', at: 0 },
      ],
    });
    expect(line).toContain('baking until 2026-01-01T00:00:00.000Z');
    expect(line).toContain('GATE FAILED alarm opensearch-a-red: ClusterStatus.red >= 1');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { type EndDoc, fast, inProcess, rollouts, seeded, stack, useCliStack } from './cli-stack.js';

// The worker (in this process) reads the gate's bearer token from its own environment by name.
const TOKEN = 'cli-gate-token-never-in-the-input';
process.env.ROLLOUTS_SECRET_CLI_GATE = TOKEN;

useCliStack('cli-gates');

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const base = [
  'dictionary',
  '--package-name',
  'cli-gated',
  '--text',
  'tv, television\n',
  '--domains',
  'gate-a,gate-b',
];

describe('rollouts dictionary: health-gate and notification flags', () => {
  it('the flags fill the input the schema reads, its defaults filled in', async () => {
    const run = await inProcess([
      ...base,
      ...fast,
      '--bake',
      '10m',
      '--alarm',
      'opensearch-{domain}-cluster-red',
      '--alarm',
      'search-api-5xx',
      '--alarm-prefix',
      'opensearch-{domain}-jvm-',
      '--alarm-insufficient-data-fails',
      '--alarm-check-interval',
      '30',
      '--webhook-gate',
      'https://ci.example.com/smoke',
      '--webhook-gate',
      'canary=https://ci.example.com/canary?suite=a',
      '--webhook-gate-token-env',
      'ROLLOUTS_SECRET_CI',
      '--notify-url',
      'https://hooks.example.com/services/x',
      '--notify-events',
      'gate-failed,finished',
      '--print-input',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const input = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
    expect(input.policy).toMatchObject({
      bakeSeconds: 600,
      gates: {
        alarms: {
          names: ['opensearch-{domain}-cluster-red', 'search-api-5xx'],
          prefixes: ['opensearch-{domain}-jvm-'],
          failOnInsufficientData: true,
          checkIntervalSeconds: 30,
        },
        webhooks: [
          {
            name: 'gate-1',
            url: 'https://ci.example.com/smoke',
            bearerTokenEnv: 'ROLLOUTS_SECRET_CI',
            retries: 2,
            timeoutSeconds: 10,
          },
          {
            name: 'canary',
            url: 'https://ci.example.com/canary?suite=a',
            bearerTokenEnv: 'ROLLOUTS_SECRET_CI',
          },
        ],
      },
    });
    expect(input.notifications).toEqual({
      url: 'https://hooks.example.com/services/x',
      events: ['gate-failed', 'finished'],
    });
    for (const [flag, seconds] of [
      ['90', 90],
      ['45s', 45],
      ['1.5h', 5400],
    ] as const) {
      const bake = await inProcess([...base, ...fast, '--bake', flag, '--print-input', '--json']);
      expect((JSON.parse(bake.stdout) as { policy: { bakeSeconds: number } }).policy.bakeSeconds).toBe(
        seconds,
      );
    }
  });

  it('bad values are refused before anything starts, each naming its field, flag and rule (exit 2)', async () => {
    const run = await inProcess([
      ...base,
      ...fast,
      '--bake',
      '25h',
      '--alarm',
      '',
      '--alarm-check-interval',
      '0',
      '--webhook-gate',
      'http://example.com/hook',
      '--webhook-gate',
      'gate-1=https://ci.example.com/b',
      '--webhook-gate-token-env',
      'AWS_SECRET_ACCESS_KEY',
      '--notify-url',
      'https://user:pw@hooks.example.com/x',
      '--notify-events',
      'started,deployed',
      '--json',
    ]);
    expect(run.code, run.stdout).toBe(2);
    const issues = (JSON.parse(run.stdout) as { error: { issues: Array<Record<string, string>> } }).error
      .issues;
    const byField = Object.fromEntries(issues.map((i) => [i.field, `${i.flag} ${i.rule}`]));
    expect(byField).toEqual({
      'policy.bakeSeconds': '--bake must be at most 86400 (24 hours)',
      'policy.gates.alarms.names[0]': '--alarm must not be empty',
      'policy.gates.alarms.checkIntervalSeconds': expect.stringMatching(/^--alarm-check-interval .*0\.05/),
      'policy.gates.webhooks[0].url': expect.stringMatching(/^--webhook-gate must be an https:\/\/ URL/),
      'policy.gates.webhooks[0].bearerTokenEnv': expect.stringMatching(
        /^--webhook-gate-token-env must be the name of a worker environment variable starting with ROLLOUTS_SECRET_/,
      ),
      'policy.gates.webhooks[1].bearerTokenEnv': expect.stringMatching(/^--webhook-gate-token-env /),
      'policy.gates.webhooks[1].name': "--webhook-gate duplicate webhook name 'gate-1'",
      'notifications.url': expect.stringMatching(
        /^--notify-url must be an https:\/\/ URL without credentials/,
      ),
      'notifications.events[1]': expect.stringMatching(/^--notify-events .*"gate-failed"/),
    });

    const duration = await inProcess([...base, ...fast, '--bake', '2d']);
    expect(duration.code).toBe(2);
    expect(duration.stderr).toMatch(
      /policy\.bakeSeconds \(--bake\): must be seconds, or a number with s, m or h/,
    );
    const lone = await inProcess([...base, ...fast, '--webhook-gate-token-env', 'ROLLOUTS_SECRET_CI']);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/--webhook-gate-token-env applies to --webhook-gate/);
    // Nothing was started.
    await expect(stack.client.workflow.getHandle('dictionary-rollout/cli-gated').describe()).rejects.toThrow(
      /not found/i,
    );
  });

  it('a passing run bakes, calls the webhook gate with the token and sends the chosen notifications', async () => {
    receiver.received.length = 0;
    receiver.answer = () => 200;
    const domains = await seeded('cli-gate-ok', 2);
    await stack.emulator.control.createAlarms(domains.map((d) => ({ name: `opensearch-${d}-red` })));
    const run = await rollouts(
      ...['dictionary', '--package-name', 'cli-gate-ok', '--text', 'tv, television\n'],
      ...['--domains', domains.join(','), '--canary', '1', '--wave-sizes', '1', ...fast],
      ...['--bake', '0.3', '--alarm', 'opensearch-{domain}-red', '--alarm-check-interval', '0.1'],
      ...[
        '--webhook-gate',
        `smoke=${receiver.url}/gate`,
        '--webhook-gate-token-env',
        'ROLLOUTS_SECRET_CLI_GATE',
      ],
      ...['--notify-url', `${receiver.url}/notify`, '--notify-events', 'started,finished'],
      ...['--wait', '--json'],
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<EndDoc>()).toMatchObject({ ok: true, outcome: 'succeeded' });
    const gateCalls = receiver.received.filter((r) => r.path === '/gate');
    expect(gateCalls.map((r) => (r.body as { wave: number }).wave)).toEqual([1, 2]);
    expect(gateCalls[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const notified = receiver.received.filter((r) => r.path === '/notify');
    expect(notified.map((r) => (r.body as { event: string }).event)).toEqual(['started', 'finished']);
    const alarmReads = await stack.emulator.control.calls({
      service: 'monitoring',
      operation: 'DescribeAlarms',
    });
    expect(alarmReads.length).toBeGreaterThanOrEqual(3); // before wave 1, then during each bake
  });

  it('an alarm in ALARM before wave 1: nothing published, exit 1 naming the alarm, gate-failed notified', async () => {
    receiver.received.length = 0;
    const domains = await seeded('cli-gate-red', 2);
    await stack.emulator.control.createAlarms([
      { name: `opensearch-${domains[0]}-red`, state: 'ALARM', reason: 'ClusterStatus.red >= 1' },
    ]);
    const run = await rollouts(
      ...['dictionary', '--package-name', 'cli-gate-red', '--text', 'tv, television\n'],
      ...['--domains', domains.join(','), ...fast, '--alarm', 'opensearch-{domain}-red'],
      ...['--notify-url', `${receiver.url}/notify`, '--notify-events', 'gate-failed'],
      ...['--wait', '--json'],
    );
    expect(run.code, run.stderr).toBe(1);
    const doc = run.json<EndDoc>();
    expect(doc.failure?.message).toMatch(
      new RegExp(`rollout not started: alarm opensearch-${domains[0]}-red is ALARM before wave 1`),
    );
    expect(doc.result?.domains.map((d) => d.state)).toEqual(['not-started', 'not-started']);
    expect(await stack.emulator.control.calls({ service: 'es', operation: 'CreatePackage' })).toEqual([]);
    const notified = receiver.received.filter((r) => r.path === '/notify').map((r) => r.body);
    expect(notified).toEqual([
      expect.objectContaining({ event: 'gate-failed', gate: expect.objectContaining({ state: 'ALARM' }) }),
    ]);
  });
});

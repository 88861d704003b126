import { describe, expect, it } from 'vitest';
import { startCli } from './run-cli.js';
import { env, useCliStack } from './cli-stack.js';

useCliStack('cli-emulator');

describe('rollouts emulator', () => {
  it('serves the AWS APIs with seeded domains and buckets until SIGTERM (exit 0)', async () => {
    const emulator = startCli(
      [
        'emulator',
        '--port',
        '0',
        '--seed-domains',
        'emu-one,emu-two',
        '--buckets',
        'emu-bucket',
        '--role',
        'arn:aws:iam::210987654321:role/rollouts',
        '--role',
        'arn:aws:iam::345678901234:role/guarded,team-42',
      ],
      env,
    );
    const line = await emulator.waitFor(/emulator listening on http/);
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    const { EmulatorControl } = await import('../../../src/emulator/server.js');
    const state = await new EmulatorControl(url).state();
    expect(state.opensearch.domains.map((d) => d.name).sort()).toEqual(['emu-one', 'emu-two']);
    expect(state.s3.buckets.map((b) => b.name)).toEqual(['emu-bucket']);
    // The roles its STS lets callers assume (fleets), with the external id one of them requires.
    const roles = await new EmulatorControl(url).roles();
    expect(roles.map((r) => [r.arn, r.externalId])).toEqual([
      ['arn:aws:iam::210987654321:role/rollouts', undefined],
      ['arn:aws:iam::345678901234:role/guarded', 'team-42'],
    ]);
    emulator.child.kill('SIGTERM');
    const ended = await emulator.ended;
    expect(ended.code).toBe(0);
    expect(ended.stderr).toMatch(/emulator stopped/);
  });

  it('refuses a --role that is not an IAM role ARN (exit 2, naming the flag)', async () => {
    const emulator = startCli(['emulator', '--port', '0', '--role', 'arn:aws:iam::12:user/x'], env);
    const ended = await emulator.ended;
    expect(ended.code).toBe(2);
    expect(ended.stderr).toMatch(/--role/);
  });
});

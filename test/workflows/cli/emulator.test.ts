import { describe, expect, it } from 'vitest';
import { startCli } from './run-cli.js';
import { env, useCliStack } from './cli-stack.js';

useCliStack('cli-emulator');

describe('rollouts emulator', () => {
  it('serves the AWS APIs with seeded domains and buckets until SIGTERM (exit 0)', async () => {
    const emulator = startCli(
      ['emulator', '--port', '0', '--seed-domains', 'emu-one,emu-two', '--buckets', 'emu-bucket'],
      env,
    );
    const line = await emulator.waitFor(/emulator listening on http/);
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    const { EmulatorControl } = await import('../../../src/emulator/server.js');
    const state = await new EmulatorControl(url).state();
    expect(state.opensearch.domains.map((d) => d.name).sort()).toEqual(['emu-one', 'emu-two']);
    expect(state.s3.buckets.map((b) => b.name)).toEqual(['emu-bucket']);
    emulator.child.kill('SIGTERM');
    const ended = await emulator.ended;
    expect(ended.code).toBe(0);
    expect(ended.stderr).toMatch(/emulator stopped/);
  });
});

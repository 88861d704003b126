import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/run.js';
import { env, inProcess, useCliStack } from './cli-stack.js';

useCliStack('cli-help');

describe('--help', () => {
  it('every command has --help: usage, every option, exit 0, nothing contacted', async () => {
    expect(COMMANDS.map((c) => c.name)).toEqual([
      'dictionary',
      'attach',
      'iot-release',
      'remove',
      'plugin',
      'status',
      'watch',
      'approve',
      'pause',
      'resume',
      'cancel',
      'list',
      'schedule create',
      'schedule list',
      'schedule describe',
      'schedule pause',
      'schedule unpause',
      'schedule trigger',
      'schedule delete',
      'emulator',
      'dev',
    ]);
    for (const command of COMMANDS) {
      const help = await inProcess([...command.name.split(' '), '--help']);
      expect(help.code, command.name).toBe(0);
      expect(help.stdout, command.name).toContain(`Usage: rollouts ${command.name}`);
      for (const option of Object.keys(command.options))
        expect(help.stdout, command.name).toContain(`--${option}`);
      expect(help.stdout).toContain('--json');
      if (command.connects) expect(help.stdout, command.name).toContain('--address');
      const json = await inProcess([...command.name.split(' '), '--help', '--json']);
      expect(JSON.parse(json.stdout), command.name).toMatchObject({ command: command.name });
    }
  });

  it('docs/cli.md documents every command and every flag, the exit codes and how --file is passed', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync('docs/cli.md', 'utf8');
    for (const command of COMMANDS) {
      expect(doc, command.name).toContain(`### \`rollouts ${command.name}\``);
      const section = doc.slice(doc.indexOf(`### \`rollouts ${command.name}\``)).split('\n### ')[0]!;
      for (const option of Object.keys(command.options))
        expect(section, `${command.name} --${option}`).toContain(`--${option}`);
    }
    for (const code of ['| 0 |', '| 1 |', '| 2 |', '| 3 |']) expect(doc).toContain(code);
    expect(doc).toMatch(/uploaded by the CLI\*\* to the staging bucket/);
  });

  it('bin/rollouts.js --help lists every command and the exit codes; unknown commands are exit 2', async () => {
    const { spawn } = await import('node:child_process');
    const bin = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/rollouts.js', ...args], {
          env: env as NodeJS.ProcessEnv,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const help = await bin(['--help']);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${command.name}\\s`, 'm'));
    expect(help.stdout).toMatch(/0 success · 1 the rollout failed · 2 bad input · 3 cannot reach Temporal/);
    const sub = await bin(['schedule', 'trigger', '--help']);
    expect(sub.stdout).toMatch(/Usage: rollouts schedule trigger <schedule-id>/);
    const unknown = await bin(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'deploy'/);
    const bare = await bin(['schedule']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(
      /needs a subcommand: create, list, describe, pause, unpause, trigger, delete/,
    );
    const badFlag = await inProcess(['status', 'x', '--bogus']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--bogus'/);
  });
});

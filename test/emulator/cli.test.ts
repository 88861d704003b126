import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { EmulatorControl } from '../../src/emulator/control-client.js';

const LISTENING = /^emulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/;

/**
 * `viaNpx` runs it the way users do; signal tests run node with the tsx loader directly, because
 * npx itself dies of the signal instead of reporting the emulator's own exit status.
 */
function startCli(args: string[], viaNpx: boolean) {
  const [command, prefix] = viaNpx
    ? ['npx', ['tsx', 'src/emulator/main.ts']]
    : [process.execPath, ['--import', 'tsx', 'src/emulator/main.ts']];
  const child = spawn(command, [...prefix, ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that cleanup reaches the grandchildren npx starts.
    detached: true,
  });
  const lines: string[] = [];
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) resolve(line);
    });
    void exited.then(([code]) => reject(new Error(`emulator exited with ${String(code)} before printing`)));
  });
  firstLine.catch(() => undefined);
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return { child, firstLine, lines, exited, killGroup };
}

describe('npm run emulator (src/emulator/main.ts)', () => {
  it('npx tsx src/emulator/main.ts --port 0 prints exactly one line with its URL and serves seeded domains', async () => {
    const cli = startCli(['--port', '0', '--seed-domains', 'cli-a,cli-b'], true);
    try {
      const line = await cli.firstLine;
      const match = LISTENING.exec(line);
      expect(match).not.toBeNull();
      expect(Number(match![2])).toBeGreaterThan(0);
      const control = new EmulatorControl(match![1]!);
      const state = await control.state();
      expect(state.opensearch.domains.map((d) => d.name)).toEqual(['cli-a', 'cli-b']);
      expect(cli.lines).toEqual([line]);
    } finally {
      cli.killGroup('SIGTERM');
      await cli.exited;
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops cleanly on %s, saving its state file', async (signal) => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
    const stateFile = join(dir, 'state.json');
    const cli = startCli(['--port', '0', '--state-file', stateFile, '--seed', '7'], false);
    try {
      const match = LISTENING.exec(await cli.firstLine);
      const control = new EmulatorControl(match![1]!);
      await control.seedDomains([{ name: 'kept-domain' }]);
      cli.child.kill(signal);
      const [code] = await cli.exited;
      expect(code).toBe(0);
      expect(cli.lines).toHaveLength(1);
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
        opensearch: { domains: { name: string }[] };
      };
      expect(saved.opensearch.domains.map((d) => d.name)).toEqual(['kept-domain']);
    } finally {
      cli.killGroup('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--domain-backing seeds the domain and backs it by the node given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
    const cli = startCli(['--port', '0', '--domain-backing', `backed=http://127.0.0.1:9/,${dir},vpc`], false);
    try {
      const control = new EmulatorControl(LISTENING.exec(await cli.firstLine)![1]!);
      const [domain] = (await control.state()).opensearch.domains;
      expect(domain).toMatchObject({
        name: 'backed',
        configuration: { backing: { endpoint: 'http://127.0.0.1:9', configDir: dir, vpc: true } },
      });
    } finally {
      cli.killGroup('SIGTERM');
      await cli.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits with status 2 on a --domain-backing it cannot use', async () => {
    const cli = startCli(['--port', '0', '--domain-backing', 'backed=http://127.0.0.1:9,relative'], false);
    const [code] = await cli.exited;
    expect(code).toBe(2);
  });

  it('exits with status 2 on an unknown option', async () => {
    const cli = startCli(['--bogus'], false);
    const [code] = await cli.exited;
    expect(code).toBe(2);
  });

  it('--role registers roles its STS lets callers assume; a malformed one exits with status 2', async () => {
    const role = 'arn:aws:iam::210987654321:role/rollouts';
    const cli = startCli(
      ['--port', '0', '--role', `${role},team-42`, '--role', 'arn:aws:iam::345678901234:role/b'],
      false,
    );
    try {
      const control = new EmulatorControl(LISTENING.exec(await cli.firstLine)![1]!);
      expect(await control.roles()).toEqual([
        { arn: role, externalId: 'team-42' },
        { arn: 'arn:aws:iam::345678901234:role/b' },
      ]);
    } finally {
      cli.killGroup('SIGTERM');
      await cli.exited;
    }
    const bad = startCli(['--role', 'arn:aws:iam::1:role/x'], false);
    const [code] = await bad.exited;
    expect(code).toBe(2);
  });
});

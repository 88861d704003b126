import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBucketAt, packagesAt } from '../../helpers/fleet.js';
import { dir, fast, rollouts, stack, useCliStack } from './cli-stack.js';

useCliStack('cli-fleet');

const EU = { region: 'eu-west-1' };

describe('rollouts dictionary across places', () => {
  it('--domains-file as a CSV with a region column: a package per place, one line per place', async () => {
    await stack.emulator.control.seedDomains([{ name: 'cli-f-1' }]);
    await stack.emulator.control.at(EU).seedDomains([{ name: 'cli-f-1' }, { name: 'cli-f-eu-2' }]);
    const eu = await stack.places.clientsFor(EU);
    await createBucketAt(eu, 'cli-fleet-eu');
    const file = join(dir, 'fleet.csv');
    writeFileSync(
      file,
      'domain,region,roleArn,externalId\ncli-f-1,,,\ncli-f-1,eu-west-1,,\ncli-f-eu-2,eu-west-1,,\n',
    );
    const run = await rollouts(
      'dictionary',
      '--package-name',
      'cli-fleet',
      '--text',
      'fleet, flotte\n',
      '--domains-file',
      file,
      '--staging-bucket-for',
      'eu-west-1=cli-fleet-eu',
      '--regions-order',
      'eu-west-1,default',
      ...fast,
      '--wait',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/place default +F\w+ -> v1 \(created\) 1\/1 current, 0 failed/);
    expect(run.stdout).toMatch(/place eu-west-1 +F\w+ -> v1 \(created\) 2\/2 current, 0 failed/);
    expect(run.stdout).toMatch(/eu-west-1:cli-f-1 +current @ v1/);
    const [pkg] = await packagesAt(eu, 'cli-fleet');
    expect(pkg!.domains).toEqual({ 'cli-f-1': 'ACTIVE v1', 'cli-f-eu-2': 'ACTIVE v1' });
  });

  it('a bad Region is refused before anything starts, naming the field and the flag', async () => {
    const run = await rollouts(
      'dictionary',
      '--package-name',
      'cli-fleet-bad',
      '--text',
      'a, b\n',
      '--domains',
      'cli-f-1,europe-1:cli-f-2',
      ...fast,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/domains\[1\]\.region/);
    expect(run.stderr).toMatch(/AWS Region/);
  });
});

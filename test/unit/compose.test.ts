import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateCompose } from '../../scripts/validate-compose.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/model/search-attributes.js';

describe('docker-compose.yml', () => {
  it('is valid as checked in', () => {
    expect(validateCompose(readFileSync('docker-compose.yml', 'utf8'))).toEqual([]);
  });

  it('catches a dangling dependency, an unpinned image and a missing search attribute', () => {
    const broken = readFileSync('docker-compose.yml', 'utf8')
      .replace('image: temporalio/ui:2.42.1', 'image: temporalio/ui:latest')
      .replace(
        'condition: service_completed_successfully',
        'condition: service_completed_successfully\n      ghost:\n        condition: service_started',
      )
      .replace('RolloutFailedDomains=Int', '');
    const errors = validateCompose(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        'services.temporal-ui.image: pin a version (got temporalio/ui:latest)',
        'services.worker.depends_on: unknown service ghost',
        'services.temporal-setup: does not create search attribute RolloutFailedDomains=Int',
      ]),
    );
  });
});

describe('docker-compose.yml temporal-setup command', () => {
  // The command as the container's /bin/sh runs it: compose turns $$ into $.
  const doc = parse(readFileSync('docker-compose.yml', 'utf8')) as {
    services: Record<string, { command: string[] }>;
  };
  const script = doc.services['temporal-setup']!.command[0]!.replace(/\$\$/g, '$');
  const bin = mkdtempSync(join(tmpdir(), 'fake-temporal-'));
  // A stand-in `temporal`: RolloutTarget exists already; with FAIL set, RolloutStatus cannot be created.
  writeFileSync(
    join(bin, 'temporal'),
    '#!/bin/sh\necho "$*" >> "$CALLS"\ncase "$*" in *RolloutTarget*) echo "search attribute already exists" >&2; exit 1;; esac\n' +
      '[ -n "$FAIL" ] && case "$*" in *RolloutStatus*) echo "connection refused" >&2; exit 1;; esac\nexit 0\n',
  );
  chmodSync(join(bin, 'temporal'), 0o755);
  const run = (extra: Record<string, string>) => {
    const calls = join(bin, `calls-${Object.keys(extra).length}`);
    const out = spawnSync('/bin/sh', ['-c', script], {
      env: { PATH: `${bin}:${process.env.PATH}`, CALLS: calls, ...extra },
      encoding: 'utf8',
    });
    return { code: out.status, stdout: out.stdout, calls: readFileSync(calls, 'utf8').trim().split('\n') };
  };

  it('creates every search attribute and treats "already exists" as done', () => {
    const { code, calls } = run({});
    expect(code).toBe(0);
    expect(calls).toHaveLength(Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS).length);
  });

  it('fails (so the worker does not start) when one cannot be created for another reason', () => {
    const { code, stdout } = run({ FAIL: '1' });
    expect(code).toBe(1);
    expect(stdout).toMatch(/connection refused/);
  });
});

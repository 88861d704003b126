import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  parseCompose,
  portHostIp,
  publishedBeyondLoopback,
  validateCompose,
  validateProductionOverlay,
} from '../../scripts/validate-compose.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/model/search-attributes.js';

describe('docker-compose.yml', () => {
  it('is valid as checked in', () => {
    expect(validateCompose(readFileSync('docker-compose.yml', 'utf8'))).toEqual([]);
  });

  it('catches a dangling dependency, an unpinned image and a missing search attribute', () => {
    const broken = readFileSync('docker-compose.yml', 'utf8')
      .replace('image: temporalio/ui:2.54.1', 'image: temporalio/ui:latest')
      .replace(
        'temporal-setup:\n        condition: service_completed_successfully',
        'temporal-setup:\n        condition: service_completed_successfully\n      ghost:\n        condition: service_started',
      )
      .replace('RolloutFailedDomains=Int', '');
    const errors = validateCompose(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        'services.temporal-ui.image: pin an exact version or a digest (got temporalio/ui:latest)',
        'services.worker.depends_on: unknown service ghost',
        'services.temporal-setup: does not create search attribute RolloutFailedDomains=Int',
      ]),
    );
  });
});

describe('docker-compose.yml lets no one in by default', () => {
  const text = readFileSync('docker-compose.yml', 'utf8');
  const doc = parseCompose(text);

  it('publishes every port on loopback only: frontend, Web UI, metrics, emulator', () => {
    const published = Object.entries(doc.services ?? {}).flatMap(([name, svc]) =>
      (svc.ports ?? []).map((p) => ({
        name,
        ip: portHostIp(String(p)),
        target: String(p).split(':').at(-1),
      })),
    );
    expect(published.map((p) => p.target).sort()).toEqual(['4566', '7233', '8080', '9464']);
    for (const p of published) expect(p.ip, `${p.name} publishes ${p.target}`).toBe('127.0.0.1');
    expect(publishedBeyondLoopback(doc)).toEqual([]);
  });

  it('refuses a port published on every interface or on a public address', () => {
    for (const [from, to] of [
      ["'127.0.0.1:7233:7233'", "'7233:7233'"],
      ["'127.0.0.1:9464:9464'", "'0.0.0.0:9464:9464'"],
      ["'127.0.0.1:${TEMPORAL_UI_PORT:-8080}:8080'", "'${TEMPORAL_UI_PORT:-8080}:8080'"],
    ] as const) {
      const broken = text.replace(from, to);
      expect(broken).not.toBe(text);
      expect(validateCompose(broken).join('\n')).toMatch(
        /is published beyond loopback; bind it to 127\.0\.0\.1/,
      );
    }
  });

  it('encrypts histories at rest with a key from a secret, on Temporal Server 1.32', () => {
    const worker = doc.services!.worker!;
    expect(worker.environment!.ROLLOUTS_PAYLOAD_KEY_FILE).toBe('/run/secrets/payload-key');
    expect(worker.secrets).toContain('payload-key');
    expect(worker.environment!.ROLLOUTS_PAYLOAD_STRICT).toBe('true');
    expect(doc.services!.temporal!.image).toBe('temporalio/server:1.32.0');
    const plainKey = text.replace(
      'ROLLOUTS_PAYLOAD_KEY_FILE: /run/secrets/payload-key',
      'ROLLOUTS_PAYLOAD_KEY: c2VjcmV0',
    );
    expect(validateCompose(plainKey)).toEqual(
      expect.arrayContaining([
        'services.worker: ROLLOUTS_PAYLOAD_KEY_FILE must name a secret the worker mounts (/run/secrets/<name>)',
      ]),
    );
  });
});

describe('deploy/compose.production.yml', () => {
  const base = readFileSync('docker-compose.yml', 'utf8');
  const overlay = readFileSync('deploy/compose.production.yml', 'utf8');

  it('publishes beyond loopback only the mTLS frontend and the OIDC Web UI, read-only by default', () => {
    expect(validateProductionOverlay(overlay, base)).toEqual([]);
    const doc = parseCompose(overlay);
    expect(publishedBeyondLoopback(doc).sort()).toEqual(['temporal-ui: 8080:8080', 'temporal: 7233:7233']);
    const ui = doc.services!['temporal-ui']!.environment!;
    expect(ui.TEMPORAL_AUTH_TYPE).toBe('oidc');
    expect(ui.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('${TEMPORAL_UI_DISABLE_WRITE_ACTIONS:-true}');
  });

  it('refuses an overlay that opens the frontend without client certificates or the UI without OIDC', () => {
    const noMtls = overlay.replace(
      "TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: 'true'",
      "TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: 'false'",
    );
    expect(validateProductionOverlay(noMtls, base)).toEqual([
      'overlay ports: temporal: 7233:7233 is published beyond loopback without mTLS or OIDC in front of it',
    ]);
    const noOidc = overlay.replace("TEMPORAL_AUTH_ENABLED: 'true'", "TEMPORAL_AUTH_ENABLED: 'false'");
    expect(validateProductionOverlay(noOidc, base)).toEqual([
      'overlay ports: temporal-ui: 8080:8080 is published beyond loopback without mTLS or OIDC in front of it',
    ]);
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
    expect(calls[0]).toBe('operator namespace describe --namespace default');
    expect(calls.filter((c) => c.startsWith('operator search-attribute create'))).toHaveLength(
      Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS).length,
    );
  });

  it('fails (so the worker does not start) when one cannot be created for another reason', () => {
    const { code, stdout } = run({ FAIL: '1' });
    expect(code).toBe(1);
    expect(stdout).toMatch(/connection refused/);
  });
});

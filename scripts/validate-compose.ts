/**
 * Validates docker-compose.yml without a Docker engine (CI has none): the structure Compose
 * requires, references between services, files the builds need, images pinned to an exact
 * version, that the stack creates exactly the search attributes the workflows use, that it
 * publishes nothing beyond loopback, and that the worker's payload key comes from a secret.
 * It also checks the production overlay (deploy/compose.production.yml): whatever it publishes
 * beyond loopback is the mTLS frontend or the OIDC-protected Web UI, nothing else.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, type Tags } from 'yaml';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../src/model/search-attributes.js';

type Service = {
  image?: string;
  build?: { context: string; dockerfile?: string };
  depends_on?: Record<string, { condition: string }> | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  command?: string[] | string;
  profiles?: string[];
  secrets?: string[];
};

interface ComposeFile {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

/** Compose's merge tags (`!override`, `!reset`, Compose 2.24+): read as the value they carry. */
const COMPOSE_TAGS: Tags = ['!override', '!reset'].flatMap((tag) => [
  { tag, collection: 'seq' as const, resolve: (v: unknown) => v },
  { tag, collection: 'map' as const, resolve: (v: unknown) => v },
]);

export function parseCompose(text: string): ComposeFile {
  return parse(text, { customTags: COMPOSE_TAGS }) as ComposeFile;
}

/** An exact version (1.32.0, 16.11-bookworm) or a digest; never a bare major or `latest`. */
const PINNED_IMAGE = /^[a-z0-9./_-]+(:\d+\.\d+[\w.-]*)?(@sha256:[0-9a-f]{64})?$/;

const LOOPBACK = new Set(['127.0.0.1', '[::1]', '::1', 'localhost']);

/**
 * A short-syntax mapping `[host_ip:]published:target`. The published port may be an
 * interpolation with a default (`${TEMPORAL_UI_PORT:-8080}`). Returns the host ip ('' = every
 * interface) or undefined when the mapping does not parse.
 */
export function portHostIp(mapping: string): string | undefined {
  const m =
    /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|localhost):)?(\$\{[A-Z_]+(:-\d+)?\}|\d+):\d+$/.exec(
      mapping,
    );
  return m ? (m[1] ?? '') : undefined;
}

/** Every port a service publishes beyond loopback, as `service: mapping`. */
export function publishedBeyondLoopback(doc: ComposeFile): string[] {
  const out: string[] = [];
  for (const [name, svc] of Object.entries(doc.services ?? {}))
    for (const port of svc.ports ?? []) {
      const ip = portHostIp(String(port));
      if (ip === undefined || !LOOPBACK.has(ip)) out.push(`${name}: ${port}`);
    }
  return out;
}

export function validateCompose(text: string, root = '.'): string[] {
  const errors: string[] = [];
  const doc = parseCompose(text);
  const services = doc.services ?? {};
  if (Object.keys(services).length === 0) errors.push('no services');
  const declaredVolumes = new Set(Object.keys(doc.volumes ?? {}));
  for (const [name, svc] of Object.entries(services)) {
    if (!svc.image && !svc.build) errors.push(`services.${name}: needs image or build`);
    if (svc.image && (!PINNED_IMAGE.test(svc.image) || !/[:@]/.test(svc.image)))
      errors.push(`services.${name}.image: pin an exact version or a digest (got ${svc.image})`);
    if (svc.build) {
      const dockerfile = `${root}/${svc.build.context}/${svc.build.dockerfile ?? 'Dockerfile'}`;
      if (!existsSync(dockerfile)) errors.push(`services.${name}.build: ${dockerfile} does not exist`);
    }
    const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
    for (const dep of deps)
      if (!services[dep]) errors.push(`services.${name}.depends_on: unknown service ${dep}`);
    if (svc.depends_on && !Array.isArray(svc.depends_on))
      for (const [dep, cond] of Object.entries(svc.depends_on))
        if (
          !['service_started', 'service_healthy', 'service_completed_successfully'].includes(cond.condition)
        )
          errors.push(`services.${name}.depends_on.${dep}: unknown condition ${cond.condition}`);
    for (const port of svc.ports ?? [])
      if (portHostIp(String(port)) === undefined) errors.push(`services.${name}.ports: bad mapping ${port}`);
    for (const secret of svc.secrets ?? [])
      if (!doc.secrets?.[secret]) errors.push(`services.${name}.secrets: ${secret} is not declared`);
    for (const volume of svc.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (!source.startsWith('.') && !source.startsWith('/') && !declaredVolumes.has(source))
        errors.push(`services.${name}.volumes: named volume ${source} is not declared`);
    }
  }
  const setup = JSON.stringify(services['temporal-setup']?.command ?? '');
  for (const [attr, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS))
    if (!setup.includes(`${attr}=${type}`))
      errors.push(`services.temporal-setup: does not create search attribute ${attr}=${type}`);
  const workerEnv = services.worker?.environment ?? {};
  for (const v of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'ROLLOUTS_TASK_QUEUE', 'AWS_REGION'])
    if (!(v in workerEnv)) errors.push(`services.worker.environment: ${v} missing`);
  for (const exposed of publishedBeyondLoopback(doc))
    errors.push(`ports: ${exposed} is published beyond loopback; bind it to 127.0.0.1 (docs/security.md)`);
  // Histories at rest are encrypted: the key comes from a docker secret, never a plain value.
  if ('ROLLOUTS_PAYLOAD_KEY' in workerEnv)
    errors.push(
      'services.worker.environment: ROLLOUTS_PAYLOAD_KEY in the file; use a secret and ROLLOUTS_PAYLOAD_KEY_FILE',
    );
  const keyFile = workerEnv.ROLLOUTS_PAYLOAD_KEY_FILE;
  const keySecret = keyFile?.startsWith('/run/secrets/') ? keyFile.slice('/run/secrets/'.length) : undefined;
  if (!keySecret || !services.worker?.secrets?.includes(keySecret))
    errors.push(
      'services.worker: ROLLOUTS_PAYLOAD_KEY_FILE must name a secret the worker mounts (/run/secrets/<name>)',
    );
  return errors;
}

/**
 * The production overlay: each service it changes exists in the base file, each secret it mounts
 * is declared, and anything published beyond loopback is protected: the frontend requires client
 * certificates, the Web UI requires OIDC sign-in and hides write actions unless told otherwise.
 */
export function validateProductionOverlay(text: string, baseText: string): string[] {
  const errors: string[] = [];
  const doc = parseCompose(text);
  const base = parseCompose(baseText);
  for (const [name, svc] of Object.entries(doc.services ?? {})) {
    if (!base.services?.[name]) errors.push(`overlay services.${name}: not a service of docker-compose.yml`);
    for (const secret of svc.secrets ?? [])
      if (!doc.secrets?.[secret] && !base.secrets?.[secret])
        errors.push(`overlay services.${name}.secrets: ${secret} is not declared`);
  }
  const env = (name: string) => doc.services?.[name]?.environment ?? {};
  for (const exposed of publishedBeyondLoopback(doc)) {
    const name = exposed.split(':')[0]!;
    if (name === 'temporal' && env('temporal').TEMPORAL_TLS_REQUIRE_CLIENT_AUTH === 'true') continue;
    if (
      name === 'temporal-ui' &&
      env('temporal-ui').TEMPORAL_AUTH_ENABLED === 'true' &&
      /^\$\{[A-Z_]+:-true\}$|^true$/.test(env('temporal-ui').TEMPORAL_DISABLE_WRITE_ACTIONS ?? '')
    )
      continue;
    errors.push(`overlay ports: ${exposed} is published beyond loopback without mTLS or OIDC in front of it`);
  }
  const worker = env('worker');
  if (!worker.TEMPORAL_TLS_CERT || !worker.TEMPORAL_TLS_KEY)
    errors.push(
      'overlay services.worker: needs its client certificate (TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY)',
    );
  return errors;
}

/**
 * Compose's own schema check, by Debian's docker-compose (1.29, which needs no engine for
 * `config`): unknown keys, wrong types, bad interpolation. It predates the top-level `name`, so
 * that one line is left out of what it reads. Undefined when docker-compose is not installed.
 */
export function composeSchemaErrors(text: string, root = '.'): string[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, text.replace(/^name:.*$/m, ''));
  const out = spawnSync(
    'docker-compose',
    ['-f', file, '--project-directory', resolve(root), 'config', '-q'],
    {
      encoding: 'utf8',
    },
  );
  if (out.error) return undefined; // not installed (ENOENT)
  return out.status === 0 ? [] : [`docker-compose config: ${(out.stderr || out.stdout).trim()}`];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = readFileSync('docker-compose.yml', 'utf8');
  const errors = validateCompose(text);
  errors.push(...validateProductionOverlay(readFileSync('deploy/compose.production.yml', 'utf8'), text));
  const schema = composeSchemaErrors(text);
  errors.push(...(schema ?? []));
  if (errors.length > 0) {
    console.error(`docker-compose.yml is invalid:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    process.exit(1);
  }
  console.log(
    `docker-compose.yml: valid (structure, references, build files, pinned images, search attributes, loopback-only ports, payload key from a secret; production overlay protected${
      schema
        ? "; Compose's schema by docker-compose config"
        : '; docker-compose not installed, schema not checked'
    })`,
  );
}

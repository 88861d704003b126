/**
 * Validates docker-compose.yml without a Docker engine (CI has none): the structure Compose
 * requires, references between services, files the builds need, pinned images, and that the
 * stack creates exactly the search attributes the workflows use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
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
};

export function validateCompose(text: string, root = '.'): string[] {
  const errors: string[] = [];
  const doc = parse(text) as { services?: Record<string, Service>; volumes?: Record<string, unknown> };
  const services = doc.services ?? {};
  if (Object.keys(services).length === 0) errors.push('no services');
  const declaredVolumes = new Set(Object.keys(doc.volumes ?? {}));
  for (const [name, svc] of Object.entries(services)) {
    if (!svc.image && !svc.build) errors.push(`services.${name}: needs image or build`);
    if (svc.image && (!svc.image.includes(':') || svc.image.endsWith(':latest')))
      errors.push(`services.${name}.image: pin a version (got ${svc.image})`);
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
      if (!/^(\$\{[A-Z_]+(:-\d+)?\}|\d+):\d+$/.test(String(port)))
        errors.push(`services.${name}.ports: bad mapping ${port}`);
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
  const schema = composeSchemaErrors(text);
  errors.push(...(schema ?? []));
  if (errors.length > 0) {
    console.error(`docker-compose.yml is invalid:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    process.exit(1);
  }
  console.log(
    `docker-compose.yml: valid (structure, references, build files, pinned images, search attributes${
      schema
        ? "; Compose's schema by docker-compose config"
        : '; docker-compose not installed, schema not checked'
    })`,
  );
}

/**
 * The emulator's control API: plain JSON over HTTP under the reserved prefix `/_emulator/`, no
 * signing. EmulatorControl (control-client.ts) is its typed client.
 *
 *   GET    /_emulator/health                              -> { ok: true, region, accountId }
 *   POST   /_emulator/reset                               -> {}   resources, faults, calls, clock, durations
 *   GET    /_emulator/durations                           -> Durations
 *   PUT    /_emulator/durations         Partial<Durations> -> Durations (merged)
 *   POST   /_emulator/domains           { domains: [{ name, engineVersion? }] } -> { created: string[] }
 *   PUT    /_emulator/domains/{name}/configuration  DomainConfiguration -> {}   (404 unknown domain)
 *          (`backing: { endpoint, configDir, vpc? }` backs the domain by a real node; `backing: null` stops)
 *   PUT    /_emulator/applications/{idOrName}/status  { status } -> {}          (404 unknown application)
 *   PUT    /_emulator/data-sources/status  { arn, status } -> {}
 *   GET    /_emulator/faults                              -> Array<FaultRule & { id }>
 *   POST   /_emulator/faults            FaultRule         -> { id }
 *   DELETE /_emulator/faults                              -> {}
 *   GET    /_emulator/clock                               -> { now, scale }
 *   POST   /_emulator/clock             { advanceMs?, scale? } -> { now, scale }
 *   GET    /_emulator/calls?service=&operation=           -> CallRecord[] (in arrival order)
 *   GET    /_emulator/calls/counts                        -> { "service:Operation": n }
 *   DELETE /_emulator/calls                               -> {}
 *   GET    /_emulator/state                               -> EmulatorStateSnapshot
 *   POST   /_emulator/save                                -> {}   write the state file now
 *   GET    /_emulator/rate-limits                         -> { limits, counts }   (rate-limits.ts)
 *   PUT    /_emulator/rate-limits  { es?: {rate, burst} | null, iot?, s3?, sts?, monitoring? } -> { limits }
 *   POST   /_emulator/alarms   { alarms: [{ name, state?, reason? }] } -> { created: string[] }
 *   GET    /_emulator/alarms                              -> [{ name, state, reason }]
 *   GET    /_emulator/places                              -> [{ account, region }] (the default first)
 *   POST   /_emulator/roles    { roles: [{ arn, externalId?, maxSessionDurationSeconds? }] } -> { registered }
 *   GET    /_emulator/roles                               -> RoleSpec[]
 *   GET    /_emulator/sessions                            -> SessionSnapshot[] (no secrets)
 *   POST   /_emulator/sessions/expire  { roleArn? }       -> { expired: n }  end sessions now
 *
 * Places (places.ts): the routes that create, alter or show a place's resources (domains, domain
 * configuration and backings, applications, data sources, alarms, state) act in the place named by
 * the query `?region=&account=` (or `?roleArn=`, its account), the default account and Region for
 * what is omitted. `GET calls` filters by them when given. Fault rules name theirs in the body.
 *
 * Errors: HTTP 400 (bad body) or 404 (unknown route or resource) with { error: message }.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { EmulatorCore } from './core.js';
import type { RawResponse } from './service.js';

const nonNegative = z.number().finite().nonnegative();
const probability = z.number().min(0).max(1);

const durationsSchema = z
  .object({
    domainProcessingMs: nonNegative,
    packageCopyingMs: nonNegative,
    packageValidatingMs: nonNegative,
    associationMs: nonNegative,
    dissociationMs: nonNegative,
    packageDeletingMs: nonNegative,
    applicationCreatingMs: nonNegative,
    attachmentExpiryMs: nonNegative,
    blueGreenMs: nonNegative,
  })
  .partial()
  .strict();

const seedSchema = z
  .object({
    domains: z.array(z.object({ name: z.string(), engineVersion: z.string().optional() }).strict()),
  })
  .strict();

export const backingSchema = z
  .object({
    endpoint: z
      .string()
      .refine(
        (v) => /^https?:\/\/[^/\s]+\/?$/.test(v),
        'endpoint must be an http(s) URL with no path, e.g. http://127.0.0.1:9200',
      ),
    configDir: z.string().refine((v) => isAbsolute(v), 'configDir must be an absolute path'),
    vpc: z.boolean().optional(),
  })
  .strict();

const domainConfigurationSchema = z
  .object({
    associationMs: nonNegative.optional(),
    dissociationMs: nonNegative.optional(),
    failAssociation: z.union([z.boolean(), z.string()]).optional(),
    failDissociation: z.union([z.boolean(), z.string()]).optional(),
    indexesUsingPackages: z.array(z.string()).optional(),
    backing: backingSchema.nullable().optional(),
  })
  .strict();

const applicationStatusSchema = z
  .object({ status: z.enum(['CREATING', 'ACTIVE', 'UPDATING', 'DELETING', 'FAILED']) })
  .strict();

const dataSourceStatusSchema = z.object({ arn: z.string().min(1), status: z.string().min(1) }).strict();

export const faultRuleSchema = z
  .object({
    service: z.enum(['es', 'iot', 's3', 'monitoring', 'sts']).optional(),
    operation: z.string().min(1).optional(),
    mutatingOnly: z.boolean().optional(),
    throttleProbability: probability.optional(),
    internalErrorProbability: probability.optional(),
    latencyMs: nonNegative.optional(),
    loseResponseProbability: probability.optional(),
    remaining: z.number().int().positive().optional(),
    resetBeforeProbability: probability.optional(),
    resetAfterProbability: probability.optional(),
    hangProbability: probability.optional(),
    region: z.string().min(1).optional(),
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
  })
  .strict()
  .refine(
    (r) =>
      (r.throttleProbability ?? 0) > 0 ||
      (r.internalErrorProbability ?? 0) > 0 ||
      (r.latencyMs ?? 0) > 0 ||
      (r.loseResponseProbability ?? 0) > 0 ||
      (r.resetBeforeProbability ?? 0) > 0 ||
      (r.resetAfterProbability ?? 0) > 0 ||
      (r.hangProbability ?? 0) > 0,
    { message: 'a fault rule needs at least one effect: a probability above 0 or latencyMs' },
  );

const rateLimitSchema = z
  .object({ rate: z.number().finite().positive(), burst: z.number().finite().min(1) })
  .strict()
  .nullable();
const rateLimitsSchema = z
  .object({
    es: rateLimitSchema.optional(),
    iot: rateLimitSchema.optional(),
    s3: rateLimitSchema.optional(),
    sts: rateLimitSchema.optional(),
    monitoring: rateLimitSchema.optional(),
  })
  .strict();
const alarmSeedSchema = z
  .object({
    alarms: z.array(
      z
        .object({
          name: z.string(),
          state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
          reason: z.string().optional(),
        })
        .strict(),
    ),
  })
  .strict();

const rolesSchema = z
  .object({
    roles: z.array(
      z
        .object({
          arn: z.string(),
          externalId: z.string().optional(),
          maxSessionDurationSeconds: z.number().optional(),
        })
        .strict(),
    ),
  })
  .strict();
const expireSchema = z.object({ roleArn: z.string().optional() }).strict();

const clockSchema = z
  .object({ advanceMs: nonNegative.optional(), scale: z.number().finite().positive().optional() })
  .strict();

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, body: Buffer): T {
  let raw: unknown = {};
  if (body.length > 0) {
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ControlError(400, 'body is not valid JSON');
    }
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ControlError(
      400,
      result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}

function json(value: unknown, status = 200): RawResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

export async function handleControl(
  core: EmulatorCore,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer,
): Promise<RawResponse> {
  try {
    if (method === 'POST' && path === '/_emulator/save') {
      core.markDirty();
      await core.flush();
      return json({});
    }
    return route(core, method, path, query, body);
  } catch (err) {
    if (err instanceof ControlError) return json({ error: err.message }, err.status);
    // The AWS-side validators throw AwsError for bad names: report them as a bad request.
    if (err instanceof Error) return json({ error: err.message }, 400);
    throw err;
  }
}

function route(
  core: EmulatorCore,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer,
): RawResponse {
  const segments = path
    .slice('/_emulator/'.length)
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
  const [first, second, third] = segments;
  const at = `${method} ${first ?? ''}${second !== undefined ? '/*' : ''}${third !== undefined ? `/${third}` : ''}`;
  // The place a call addresses; read only by the routes that act in one.
  const selector = {
    ...(query.get('region') ? { region: query.get('region')! } : {}),
    ...(query.get('account') ? { account: query.get('account')! } : {}),
    ...(query.get('roleArn') ? { roleArn: query.get('roleArn')! } : {}),
  };
  const place = () => core.places.select(selector);

  switch (at) {
    case 'GET health':
      return json({ ok: true, region: core.region, accountId: core.accountId });
    case 'POST reset':
      core.reset();
      return json({});
    case 'GET durations':
      return json(core.durations);
    case 'PUT durations':
      return json(core.setDurations(parse(durationsSchema, body)));
    case 'POST domains': {
      const { domains } = parse(seedSchema, body);
      const created = place().opensearch.seedDomains(domains, core.now());
      core.markDirty();
      return json({ created });
    }
    case 'PUT domains/*/configuration': {
      const change = parse(domainConfigurationSchema, body);
      if (!place().opensearch.configureDomain(second!, change)) {
        throw new ControlError(404, `no domain named ${second!}`);
      }
      core.markDirty();
      return json({});
    }
    case 'PUT applications/*/status': {
      const { status } = parse(applicationStatusSchema, body);
      if (!place().opensearch.applications.setApplicationStatus(second!, status, core.now())) {
        throw new ControlError(404, `no application with id or name ${second!}`);
      }
      core.markDirty();
      return json({});
    }
    case 'PUT data-sources/*': {
      if (second !== 'status') break;
      const { arn, status } = parse(dataSourceStatusSchema, body);
      place().opensearch.applications.setDataSourceStatus(arn, status, core.now());
      core.markDirty();
      return json({});
    }
    case 'GET faults':
      return json(core.faults.list());
    case 'POST faults':
      return json({ id: core.faults.add(parse(faultRuleSchema, body)) });
    case 'DELETE faults':
      core.faults.clear();
      return json({});
    case 'GET clock':
      return json(core.clock.read());
    case 'POST clock': {
      const reading = core.clock.change(parse(clockSchema, body));
      core.markDirty();
      return json(reading);
    }
    case 'GET calls': {
      const filter = {
        ...(query.get('service') ? { service: query.get('service')! } : {}),
        ...(query.get('operation') ? { operation: query.get('operation')! } : {}),
      };
      const account =
        selector.roleArn !== undefined ? core.places.resolve(selector).account : selector.account;
      return json(
        core.calls
          .list(filter)
          .filter(
            (c) =>
              (selector.region === undefined || c.region === selector.region) &&
              (account === undefined || c.account === account),
          ),
      );
    }
    case 'GET calls/*':
      if (second !== 'counts') break;
      return json(core.calls.countsByOperation());
    case 'DELETE calls':
      core.calls.clear();
      return json({});
    case 'GET state':
      return json(core.snapshot(selector));
    case 'GET rate-limits':
      return json({ limits: core.rateLimits.get(), counts: core.rateLimits.stats() });
    case 'PUT rate-limits': {
      const change = parse(rateLimitsSchema, body);
      const set = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
      return json({ limits: core.rateLimits.set(set) });
    }
    case 'POST alarms': {
      const created = place().cloudwatch.seedAlarms(parse(alarmSeedSchema, body).alarms, core.now());
      core.markDirty();
      return json({ created });
    }
    case 'GET alarms':
      return json(place().cloudwatch.snapshot());
    case 'GET places':
      return json(core.places.all().map((p) => ({ account: p.account, region: p.region })));
    case 'POST roles': {
      const registered = core.sts.registerRoles(parse(rolesSchema, body).roles);
      core.markDirty();
      return json({ registered });
    }
    case 'GET roles':
      return json(core.sts.listRoles());
    case 'GET sessions':
      return json(core.sts.listSessions());
    case 'POST sessions/*': {
      if (second !== 'expire') break;
      const { roleArn } = parse(expireSchema, body);
      const expired = core.sts.expireSessions(roleArn);
      core.markDirty();
      return json({ expired });
    }
  }
  throw new ControlError(404, `no control route ${method} ${path}`);
}

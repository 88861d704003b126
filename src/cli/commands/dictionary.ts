import type { z } from 'zod';
import { dictionaryRolloutStart, dictionaryRolloutWarnings } from '../../client/dictionary-rollout.js';
import { dictionaryRolloutInput, type DictionaryRolloutInput } from '../../model/dictionary-rollout.js';
import { InvalidInputError } from '../../model/validation.js';
import { bool, list, num, str, type Options, type Values } from '../args.js';
import {
  FLEET_OPTIONS,
  pairs,
  parseTarget,
  readTargetsFile,
  STAGING_FOR_OPTION,
  withRoles,
  type TargetInput,
} from '../fleet-args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import {
  readLocalDictionary,
  sourceFor,
  uploadLocalDictionary,
  type LocalDictionary,
} from '../dictionary-file.js';
import { applyGateFlags, GATE_OPTIONS } from '../gate-flags.js';
import { inputWithFlags, START_OPTIONS, startFromCli } from './start.js';

/** Flags for every field of the dictionary rollout input (shared with `schedule create`). */
export const DICTIONARY_INPUT_OPTIONS: Options = {
  input: {
    type: 'string',
    arg: 'file.json',
    help: 'the whole input as JSON (schemas/dictionary-rollout.input.schema.json); flags override its fields',
  },
  'package-name': {
    type: 'string',
    arg: 'name',
    help: 'OpenSearch package name, 3-256 [a-z][a-z0-9-]',
    field: 'packageName',
  },
  'package-type': {
    type: 'string',
    arg: 'type',
    help: 'TXT-DICTIONARY only (plugins: `rollouts plugin`) [TXT-DICTIONARY]',
    field: 'packageType',
  },
  description: {
    type: 'string',
    arg: 'text',
    help: 'package description, <= 950 chars',
    field: 'description',
  },
  file: {
    type: 'string',
    arg: 'path',
    help: 'a local file: inline when a UTF-8 text <= 32 KiB, else uploaded to the staging bucket',
    field: 'source',
  },
  'source-url': {
    type: 'string',
    arg: 'https://...',
    help: 'read the dictionary from this URL',
    field: 'source.url',
  },
  'source-s3': {
    type: 'string',
    arg: 's3://bucket/key',
    help: 'read the dictionary from this S3 object',
    field: 'source',
  },
  text: {
    type: 'string',
    arg: 'text',
    help: 'the dictionary itself, inline (<= 32 KiB)',
    field: 'source.text',
  },
  'staging-bucket': {
    type: 'string',
    arg: 'bucket',
    help: 'S3 bucket the package file is staged in',
    field: 'staging.bucket',
  },
  'staging-prefix': {
    type: 'string',
    arg: 'prefix',
    help: "key prefix in the staging bucket ['package-rollouts/']",
    field: 'staging.prefix',
  },
  domains: {
    type: 'string',
    arg: 'a,b,c',
    help: "target domains, comma-separated; 'region:name' places one in another Region (fleets)",
    field: 'domains',
  },
  'domains-file': {
    type: 'string',
    arg: 'path',
    help: 'target domains, one per line (# comments), CSV domain,region,roleArn,externalId, or JSON',
    field: 'domains',
  },
  ...FLEET_OPTIONS,
  ...STAGING_FOR_OPTION,
  'max-concurrency': {
    type: 'string',
    arg: 'n',
    help: 'domains associating at once, 1-100 [10]',
    field: 'policy.maxConcurrency',
  },
  canary: { type: 'string', arg: 'n', help: 'domains in the first wave [1]', field: 'policy.waves.canary' },
  'wave-sizes': {
    type: 'string',
    arg: 'n,n,...',
    help: 'sizes of the waves after the canary; the last repeats',
    field: 'policy.waves.sizes',
  },
  'wave-percentages': {
    type: 'string',
    arg: 'p,p,...',
    help: 'cumulative % of domains done after each wave, ending at 100',
    field: 'policy.waves.percentages',
  },
  wave: {
    type: 'string',
    multiple: true,
    arg: 'a,b',
    help: 'an explicit wave (repeat the flag: every domain in exactly one)',
    field: 'policy.waves.waves',
  },
  'pause-between-waves': {
    type: 'string',
    arg: 'seconds',
    help: 'wait between waves [0]',
    field: 'policy.pauseBetweenWavesSeconds',
  },
  'approval-between-waves': {
    type: 'boolean',
    help: "wait for 'rollouts approve <id>' before each wave after the first",
    field: 'policy.approvalBetweenWaves',
  },
  'failure-policy': {
    type: 'string',
    arg: 'policy',
    help: 'halt | continue | rollback [halt]',
    field: 'policy.failurePolicy',
  },
  'association-deadline': {
    type: 'string',
    arg: 'seconds',
    help: 'per domain [2700]',
    field: 'policy.associationDeadlineSeconds',
  },
  'poll-interval': {
    type: 'string',
    arg: 'seconds',
    help: 'AWS status polling [15]',
    field: 'policy.pollIntervalSeconds',
  },
  'dry-run': { type: 'boolean', help: 'stage, package and plan, but associate nothing', field: 'dryRun' },
  ...GATE_OPTIONS,
};

function numbers(values: Values, name: string, options: Options): number[] | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  return list(raw).map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n))
      throw new InvalidInputError('command line', [
        { field: options[name]!.field!, rule: `must be numbers separated by commas (--${name} ${raw})` },
      ]);
    return n;
  });
}

function s3Url(raw: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(raw);
  if (!m)
    throw new InvalidInputError('command line', [
      { field: 'source', rule: `--source-s3 must be s3://bucket/key, got '${raw}'` },
    ]);
  return { bucket: m[1]!, key: m[2]! };
}

export interface BuiltDictionaryInput {
  input: DictionaryRolloutInput;
  /** Set with --file: where the content goes (inline or uploaded). */
  file?: LocalDictionary;
}

/**
 * The rollout input from --input and the flags. Mutually exclusive flags are usage errors; field
 * rules are left to the schema, whose errors name the fields (and the flags, see flagsByField).
 */
export async function buildDictionaryInput(
  values: Values,
  options: { command: string },
): Promise<BuiltDictionaryInput> {
  const opts = DICTIONARY_INPUT_OPTIONS;
  const { input, set } = inputWithFlags(values, options.command, 'rollout');
  set('packageName', str(values, 'package-name'));
  set('packageType', str(values, 'package-type'));
  set('description', str(values, 'description'));

  const sources = ['file', 'source-url', 'source-s3', 'text'].filter((f) => str(values, f) !== undefined);
  if (sources.length > 1)
    throw new UsageError(
      `give one source: ${sources.map((s) => `--${s}`).join(' and ')} exclude each other`,
      options.command,
    );
  const url = str(values, 'source-url');
  if (url !== undefined) input.source = { kind: 'url', url };
  const s3 = str(values, 'source-s3');
  if (s3 !== undefined) input.source = { kind: 's3', ...s3Url(s3) };
  const text = str(values, 'text');
  if (text !== undefined) input.source = { kind: 'inline', text };

  const staging = { ...((input.staging as Record<string, unknown> | undefined) ?? {}) };
  if (str(values, 'staging-bucket') !== undefined) staging.bucket = str(values, 'staging-bucket');
  if (str(values, 'staging-prefix') !== undefined) staging.prefix = str(values, 'staging-prefix');
  if (Object.keys(staging).length > 0) input.staging = staging;

  const domains = str(values, 'domains');
  const domainsFile = str(values, 'domains-file');
  if (domains !== undefined && domainsFile !== undefined)
    throw new UsageError('give --domains or --domains-file, not both', options.command);
  if (domains !== undefined) input.domains = list(domains).map(parseTarget);
  if (domainsFile !== undefined) input.domains = readTargetsFile(domainsFile, '--domains-file');
  const roles = pairs(values.role, 'role');
  const externalIds = pairs(values['external-id'], 'external-id');
  if ((roles.size > 0 || externalIds.size > 0) && Array.isArray(input.domains))
    input.domains = withRoles(input.domains as TargetInput[], roles, externalIds);
  const buckets = pairs(values['staging-bucket-for'], 'staging-bucket-for');
  if (buckets.size > 0) {
    staging.buckets = Object.fromEntries(buckets);
    input.staging = staging;
  }

  const policy = { ...((input.policy as Record<string, unknown> | undefined) ?? {}) };
  const setPolicy = (field: string, value: unknown) => {
    if (value !== undefined) policy[field] = value;
  };
  setPolicy('maxConcurrency', num(values, 'max-concurrency', opts));
  setPolicy('pauseBetweenWavesSeconds', num(values, 'pause-between-waves', opts));
  setPolicy('associationDeadlineSeconds', num(values, 'association-deadline', opts));
  setPolicy('pollIntervalSeconds', num(values, 'poll-interval', opts));
  setPolicy('failurePolicy', str(values, 'failure-policy'));
  if (values['approval-between-waves'] === true) policy.approvalBetweenWaves = true;

  const sizes = numbers(values, 'wave-sizes', opts);
  const percentages = numbers(values, 'wave-percentages', opts);
  const explicit = values.wave as string[] | undefined;
  const canary = num(values, 'canary', opts);
  const strategies = [
    sizes && '--wave-sizes',
    percentages && '--wave-percentages',
    explicit && '--wave',
    str(values, 'regions-order') && '--regions-order',
  ].filter(Boolean);
  if (strategies.length > 1)
    throw new UsageError(
      `give one wave strategy: ${strategies.join(' and ')} exclude each other`,
      options.command,
    );
  if (explicit && canary !== undefined)
    throw new UsageError(
      '--canary does not apply to explicit --wave lists (the first --wave is the canary)',
      options.command,
    );
  const previousWaves = policy.waves as Record<string, unknown> | undefined;
  if (sizes) policy.waves = { strategy: 'sizes', sizes, ...(canary !== undefined ? { canary } : {}) };
  else if (percentages)
    policy.waves = { strategy: 'percentages', percentages, ...(canary !== undefined ? { canary } : {}) };
  else if (explicit) policy.waves = { strategy: 'explicit', waves: explicit.map(list) };
  else if (str(values, 'regions-order') !== undefined)
    policy.waves = {
      strategy: 'regions',
      order: list(str(values, 'regions-order')!),
      ...(canary !== undefined ? { canary } : {}),
    };
  else if (canary !== undefined)
    policy.waves =
      previousWaves && previousWaves.strategy !== 'explicit'
        ? { ...previousWaves, canary }
        : { strategy: 'sizes', canary };
  if (Object.keys(policy).length > 0) input.policy = policy;
  if (bool(values, 'dry-run')) input.dryRun = true;
  applyGateFlags(input, values, options.command);

  const filePath = str(values, 'file');
  if (filePath === undefined) return { input: input as DictionaryRolloutInput };
  // Where the file goes depends on the package type and the staging prefix: the schema's own
  // defaults where they are not given. A bad value is kept, for the parse to name its field.
  const fields = dictionaryRolloutInput.shape;
  const packageType = String(orDefault(fields.packageType, input.packageType));
  const file = readLocalDictionary(filePath, packageType);
  input.source = await sourceFor(file, packageType, {
    bucket: typeof staging.bucket === 'string' ? staging.bucket : '',
    prefix: String(orDefault(fields.staging.shape.prefix, staging.prefix)),
  });
  return { input: input as DictionaryRolloutInput, file };
}

/** The value as the field's schema reads it (its default when absent); the value itself when invalid. */
function orDefault(field: z.ZodType, value: unknown): unknown {
  const parsed = field.safeParse(value);
  return parsed.success ? parsed.data : value;
}

export const dictionaryCommand: Command = {
  name: 'dictionary',
  summary: 'start a dictionary rollout (synonyms, stopwords, ...) to OpenSearch domains',
  usage:
    'dictionary --package-name <name> (--file <path> | --source-url <url> | --source-s3 <s3://b/k> | --text <t>)\n' +
    '                    --staging-bucket <bucket> (--domains <a,b,c> | --domains-file <path>) [options]',
  details: [
    'A local --file is passed inline when it is UTF-8 text of at most 32 KiB (it is then recorded in',
    'workflow history); anything larger, binary or not UTF-8 is uploaded by the CLI to the staging bucket',
    'at <prefix><sha256>.txt (.zip for other package types) — the key the stage activity uses, so it',
    'is stored once — and passed as an S3 source. AWS credentials come from the SDK default chain.',
    '',
    'Examples:',
    '  rollouts dictionary --package-name synonyms-en --file synonyms.txt --staging-bucket my-staging \\',
    '    --domains search-1,search-2,search-3 --canary 1 --wave-sizes 10 --watch',
    '  rollouts dictionary --input rollout.json --dry-run --wait --json',
  ].join('\n'),
  options: {
    ...DICTIONARY_INPUT_OPTIONS,
    ...START_OPTIONS,
    'workflow-id': {
      type: 'string',
      arg: 'id',
      help: 'refused (exit 2): the id is dictionary-rollout/<package-name>, one rollout per package at a time',
    },
  },
  connects: true,
  async run(ctx) {
    const { input, file } = await buildDictionaryInput(ctx.values, { command: ctx.command });
    // Everything is validated (every bad field named) before any upload or start.
    return startFromCli(ctx, dictionaryRolloutStart, input, 'dictionary rollout', {
      notices: (params) => [
        ...dictionaryRolloutWarnings(params).map((w) => `warning: ${w}`),
        ...(file?.mode === 'upload'
          ? [`--file ${file.path}: ${file.reason}, so it is staged in S3 by the CLI`]
          : []),
      ],
      printNotices: () =>
        file?.mode === 'upload'
          ? ['(not uploaded: --print-input starts nothing; the source names where it would go)']
          : [],
      beforeStart: async (params) => {
        if (file?.mode !== 'upload' || params.source.kind !== 's3') return;
        const { createAwsClients, destroyAwsClients } = await import('../../aws/clients.js');
        const aws = createAwsClients();
        ctx.onClose(() => destroyAwsClients(aws));
        const how = await uploadLocalDictionary(aws.s3, file, params.source, params.packageType);
        ctx.out.notice(
          `${how === 'uploaded' ? 'uploaded' : 'already staged'}: s3://${params.source.bucket}/${params.source.key}`,
        );
      },
    });
  },
};

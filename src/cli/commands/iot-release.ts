import { iotPackageReleaseStart } from '../../client/iot-package-release.js';
import { InvalidInputError } from '../../model/validation.js';
import { bool, num, str, type Options, type Values } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { inputWithFlags, START_OPTIONS, startFromCli } from './start.js';

const IOT_OPTIONS: Options = {
  input: {
    type: 'string',
    arg: 'file.json',
    help: 'the whole input as JSON (schemas/iot-package-release.input.schema.json); flags override its fields',
  },
  'package-name': {
    type: 'string',
    arg: 'name',
    help: 'AWS IoT software package name (1-128 a-zA-Z0-9_-.)',
    field: 'packageName',
  },
  'version-name': {
    type: 'string',
    arg: 'name',
    help: 'the version to release (1-64 a-zA-Z0-9_-.)',
    field: 'versionName',
  },
  description: { type: 'string', arg: 'text', help: "the version's description", field: 'description' },
  'package-description': {
    type: 'string',
    arg: 'text',
    help: 'the package description, used only when this release creates the package',
    field: 'packageDescription',
  },
  attribute: {
    type: 'string',
    multiple: true,
    arg: 'key=value',
    help: 'a version attribute (repeat the flag); all together at most 3 KB',
    field: 'attributes',
  },
  tag: {
    type: 'string',
    multiple: true,
    arg: 'key=value',
    help: 'a tag of the version (and of the package it creates); repeat the flag',
    field: 'tags',
  },
  artifact: {
    type: 'string',
    arg: 's3://bucket/key',
    help: "the version's artifact in S3",
    field: 'artifact',
  },
  'artifact-version': {
    type: 'string',
    arg: 'id',
    help: 'the S3 object version of --artifact (versioned buckets)',
    field: 'artifact.version',
  },
  publish: {
    type: 'string',
    arg: 'mode',
    help: "now | after-approval (wait for 'rollouts approve <id>') | no (leave it DRAFT) [now]",
    field: 'publish',
  },
  'make-default': {
    type: 'boolean',
    help: "make it the package's default version [on when published]",
    field: 'makeDefault',
  },
  'no-make-default': { type: 'boolean', help: 'publish without making it the default', field: 'makeDefault' },
  'keep-last': {
    type: 'string',
    arg: 'k',
    help: 'keep this and the k-1 newest older published versions; deprecate older ones [off]',
    field: 'deprecateOlder.keepLast',
  },
};

function pairs(values: Values, name: string, field: string): Record<string, string> | undefined {
  const raw = values[name] as string[] | undefined;
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const entry of raw) {
    const eq = entry.indexOf('=');
    if (eq <= 0)
      throw new InvalidInputError('command line', [
        { field, rule: `--${name} must be key=value, got '${entry}'` },
      ]);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function s3Object(raw: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(raw);
  if (!m)
    throw new InvalidInputError('command line', [
      { field: 'artifact', rule: `--artifact must be s3://bucket/key, got '${raw}'` },
    ]);
  return { bucket: m[1]!, key: m[2]! };
}

const { 'workflow-id': _workflowId, ...IOT_START_OPTIONS } = START_OPTIONS;

export const iotReleaseCommand: Command = {
  name: 'iot-release',
  summary: 'release an AWS IoT software package version: create, publish, make default, deprecate older',
  usage:
    'iot-release --package-name <name> --version-name <name> [--attribute k=v ...] [--artifact s3://b/k]\n' +
    '                    [--publish now|after-approval|no] [--keep-last <k>] [options]',
  details: [
    'Starts iotPackageRelease (workflow id iot-package-release/<package>/<version>). Running it again',
    'for a version that exists compares its content: the same content succeeds (outcome unchanged),',
    'other content fails with IotVersionConflict and changes nothing (exit code 1).',
    '',
    'Example:',
    '  rollouts iot-release --package-name edge-agent --version-name 2.4.0 \\',
    '    --attribute channel=stable --publish after-approval --keep-last 3 --watch',
  ].join('\n'),
  options: { ...IOT_OPTIONS, ...IOT_START_OPTIONS },
  connects: true,
  async run(ctx) {
    const v = ctx.values;
    const { input, set } = inputWithFlags(v, ctx.command, 'release');
    set('packageName', str(v, 'package-name'));
    set('versionName', str(v, 'version-name'));
    set('description', str(v, 'description'));
    set('packageDescription', str(v, 'package-description'));
    set('attributes', pairs(v, 'attribute', 'attributes'));
    set('tags', pairs(v, 'tag', 'tags'));
    const artifact = str(v, 'artifact');
    const artifactVersion = str(v, 'artifact-version');
    if (artifactVersion !== undefined && artifact === undefined)
      throw new UsageError('--artifact-version needs --artifact', ctx.command);
    if (artifact !== undefined)
      input.artifact = {
        ...s3Object(artifact),
        ...(artifactVersion !== undefined ? { version: artifactVersion } : {}),
      };
    set('publish', str(v, 'publish'));
    if (bool(v, 'make-default') && bool(v, 'no-make-default'))
      throw new UsageError('--make-default and --no-make-default exclude each other', ctx.command);
    if (bool(v, 'make-default')) input.makeDefault = true;
    if (bool(v, 'no-make-default')) input.makeDefault = false;
    const keepLast = num(v, 'keep-last', IOT_OPTIONS);
    if (keepLast !== undefined) input.deprecateOlder = { keepLast };
    return startFromCli(ctx, iotPackageReleaseStart, input, 'IoT package release');
  },
};

import { pluginRolloutStart } from '../../client/plugin-rollout.js';
import { bool, list, num, readList, str, type Options, type Values } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { inputWithFlags, START_OPTIONS, startFromCli } from './start.js';

const PLUGIN_OPTIONS: Options = {
  input: { type: 'string', arg: 'file.json', help: 'the whole input as JSON; flags override its fields' },
  remove: { type: 'boolean', help: 'dissociate the bundle from the domains instead of installing it' },
  'engine-version': {
    type: 'string',
    arg: 'OpenSearch_X.Y',
    help: 'the engine version the plugin is built for (2.15 or later); every domain must run it',
    field: 'engineVersion',
  },
  plugin: { type: 'string', arg: 'name', help: 'the ZIP-PLUGIN package name', field: 'bundle.plugin' },
  'plugin-source': {
    type: 'string',
    arg: 's3://bucket/key | https://...',
    help: 'where the plugin .zip comes from',
    field: 'bundle.plugin.source',
  },
  'license-requirement': {
    type: 'string',
    arg: 'REQUIRED|OPTIONAL|NONE',
    help: "the plugin's PackageConfiguration LicenseRequirement [NONE]",
    field: 'bundle.plugin.packageConfiguration.licenseRequirement',
  },
  'license-filepath': {
    type: 'string',
    arg: 'path',
    help: "the plugin's PackageConfiguration LicenseFilepath",
    field: 'bundle.plugin.packageConfiguration.licenseFilepath',
  },
  'configuration-requirement': {
    type: 'string',
    arg: 'REQUIRED|OPTIONAL|NONE',
    help: "the plugin's PackageConfiguration ConfigurationRequirement [NONE]",
    field: 'bundle.plugin.packageConfiguration.configurationRequirement',
  },
  license: { type: 'string', arg: 'name', help: 'the PACKAGE-LICENSE package name', field: 'bundle.license' },
  'license-source': {
    type: 'string',
    arg: 's3://... | https://...',
    help: 'its file',
    field: 'bundle.license.source',
  },
  config: { type: 'string', arg: 'name', help: 'the PACKAGE-CONFIG package name', field: 'bundle.config' },
  'config-source': {
    type: 'string',
    arg: 's3://... | https://...',
    help: 'its file',
    field: 'bundle.config.source',
  },
  'staging-bucket': {
    type: 'string',
    arg: 'bucket',
    help: 'S3 bucket the files are staged in',
    field: 'staging',
  },
  'staging-prefix': {
    type: 'string',
    arg: 'prefix',
    help: 'key prefix [package-rollouts/]',
    field: 'staging',
  },
  domains: { type: 'string', arg: 'a,b,c', help: 'target domains', field: 'domains' },
  'domains-file': { type: 'string', arg: 'path', help: 'target domains, one per line', field: 'domains' },
  'max-concurrency': {
    type: 'string',
    arg: 'n',
    help: 'blue/green deployments at once, 1-20 [2]',
    field: 'maxConcurrency',
  },
  'deployment-deadline': {
    type: 'string',
    arg: 'seconds',
    help: 'per domain [21600]',
    field: 'deploymentDeadlineSeconds',
  },
  'poll-interval': {
    type: 'string',
    arg: 'seconds',
    help: 'AWS status polling [30]',
    field: 'pollIntervalSeconds',
  },
};

/** `s3://bucket/key` or an https URL, as a source of the input. */
function source(raw: string, flag: string, command: string): Record<string, string> {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(raw);
  if (s3) return { kind: 's3', bucket: s3[1]!, key: s3[2]! };
  if (/^https?:\/\//.test(raw)) return { kind: 'url', url: raw };
  throw new UsageError(`${flag} must be s3://bucket/key or an https:// URL`, command);
}

function member(input: Record<string, unknown>, role: string): Record<string, unknown> {
  const bundle = (input.bundle ??= {}) as Record<string, Record<string, unknown>>;
  return (bundle[role] ??= {});
}

function setMember(v: Values, input: Record<string, unknown>, role: string, command: string) {
  const name = str(v, role);
  const from = str(v, `${role}-source`);
  if (name !== undefined) member(input, role).packageName = name;
  if (from !== undefined) member(input, role).source = source(from, `--${role}-source`, command);
}

export const pluginCommand: Command = {
  name: 'plugin',
  summary:
    'install (or --remove) a ZIP-PLUGIN with its license and configuration: a blue/green deployment per domain',
  usage:
    'plugin --engine-version <OpenSearch_X.Y> --plugin <name> --plugin-source <s3://...> [--license <name> --license-source <...>] ' +
    '[--config <name> --config-source <...>] --staging-bucket <bucket> --domains <a,b,c> [options]',
  details: [
    'Package types: ZIP-PLUGIN (the plugin, built for one engine version), PACKAGE-LICENSE and PACKAGE-CONFIG',
    '(its license and configuration). TXT-DICTIONARY files go through `rollouts dictionary`.',
    'Every domain is checked first — it must run --engine-version exactly and have no configuration',
    'change in progress — and nothing is created when one is not. Each domain then gets the whole bundle',
    'in one AssociatePackages call (license and configuration naming the plugin as prerequisite), which',
    'starts a blue/green deployment; the run follows it (DescribeDomain, DescribeDomainChangeProgress),',
    '2 domains at a time by default. --remove dissociates the bundle the same way (DissociatePackages).',
  ].join('\n'),
  options: { ...PLUGIN_OPTIONS, ...START_OPTIONS },
  connects: true,
  async run(ctx) {
    const v = ctx.values;
    const { input, set } = inputWithFlags(v, ctx.command, 'plugin rollout');
    if (bool(v, 'remove')) input.action = 'remove';
    set('engineVersion', str(v, 'engine-version'));
    setMember(v, input, 'plugin', ctx.command);
    setMember(v, input, 'license', ctx.command);
    setMember(v, input, 'config', ctx.command);
    const requirement: Record<string, string | undefined> = {
      licenseRequirement: str(v, 'license-requirement'),
      licenseFilepath: str(v, 'license-filepath'),
      configurationRequirement: str(v, 'configuration-requirement'),
    };
    for (const [field, value] of Object.entries(requirement))
      if (value !== undefined)
        ((member(input, 'plugin').packageConfiguration ??= {}) as Record<string, unknown>)[field] = value;
    if (str(v, 'staging-bucket') !== undefined || str(v, 'staging-prefix') !== undefined) {
      const staging = (input.staging ??= {}) as Record<string, unknown>;
      if (str(v, 'staging-bucket') !== undefined) staging.bucket = str(v, 'staging-bucket');
      if (str(v, 'staging-prefix') !== undefined) staging.prefix = str(v, 'staging-prefix');
    }
    if (str(v, 'domains') !== undefined && str(v, 'domains-file') !== undefined)
      throw new UsageError('give --domains or --domains-file, not both', ctx.command);
    if (str(v, 'domains') !== undefined) input.domains = list(str(v, 'domains')!);
    if (str(v, 'domains-file') !== undefined)
      input.domains = readList(str(v, 'domains-file')!, '--domains-file');
    set('maxConcurrency', num(v, 'max-concurrency', PLUGIN_OPTIONS));
    set('deploymentDeadlineSeconds', num(v, 'deployment-deadline', PLUGIN_OPTIONS));
    set('pollIntervalSeconds', num(v, 'poll-interval', PLUGIN_OPTIONS));
    return startFromCli(ctx, pluginRolloutStart, input, 'plugin rollout');
  },
};

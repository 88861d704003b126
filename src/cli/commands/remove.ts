import { packageRemovalStart } from '../../client/package-removal.js';
import { bool, list, num, str, type Options } from '../args.js';
import {
  FLEET_OPTIONS,
  pairs,
  parseTarget,
  placesFromFlag,
  readTargetsFile,
  withRoles,
  type TargetInput,
} from '../fleet-args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { inputWithFlags, START_OPTIONS, startFromCli } from './start.js';

const REMOVE_OPTIONS: Options = {
  input: { type: 'string', arg: 'file.json', help: 'the whole input as JSON; flags override its fields' },
  'package-name': { type: 'string', arg: 'name', help: 'the package, by name', field: 'packageName' },
  'package-id': { type: 'string', arg: 'id', help: 'the package, by id (F123...)', field: 'packageId' },
  domains: {
    type: 'string',
    arg: 'a,b,c',
    help: "dissociate from these domains only ('region:name' in another Region) [every associated domain]",
    field: 'domains',
  },
  'domains-file': {
    type: 'string',
    arg: 'path',
    help: 'domains, one per line, CSV domain,region,roleArn,externalId, or JSON (fleets)',
    field: 'domains',
  },
  places: {
    type: 'string',
    arg: 'r1,r2',
    help: "fleets, without --domains: also remove it in these Regions (by its name there; a Region's --role for another account)",
    field: 'places',
  },
  ...FLEET_OPTIONS,
  'keep-package': {
    type: 'boolean',
    help: 'dissociate only; do not delete the package afterwards',
    field: 'deletePackage',
  },
  'max-concurrency': {
    type: 'string',
    arg: 'n',
    help: 'dissociations at once, 1-100 [10]',
    field: 'maxConcurrency',
  },
  'dissociation-deadline': {
    type: 'string',
    arg: 'seconds',
    help: 'per domain [2700]',
    field: 'dissociationDeadlineSeconds',
  },
  'poll-interval': {
    type: 'string',
    arg: 'seconds',
    help: 'AWS status polling [15]',
    field: 'pollIntervalSeconds',
  },
};

export const removeCommand: Command = {
  name: 'remove',
  summary: 'remove a package: dissociate it from domains, then delete it when unused',
  usage: 'remove (--package-name <name> | --package-id <id>) [--domains <a,b,c>] [--keep-package] [options]',
  details: [
    'Without --domains the package is dissociated from every domain it is associated with, then',
    'deleted (unless --keep-package). Running it again is safe: done domains count as done.',
    'Fleets: --places eu-west-1,ap-southeast-2 removes the package of that name there too.',
  ].join('\n'),
  options: { ...REMOVE_OPTIONS, ...START_OPTIONS },
  connects: true,
  async run(ctx) {
    const v = ctx.values;
    const { input, set } = inputWithFlags(v, ctx.command, 'removal');
    set('packageName', str(v, 'package-name'));
    set('packageId', str(v, 'package-id'));
    if (str(v, 'domains') !== undefined && str(v, 'domains-file') !== undefined)
      throw new UsageError('give --domains or --domains-file, not both', ctx.command);
    if (str(v, 'domains') !== undefined) input.domains = list(str(v, 'domains')!).map(parseTarget);
    if (str(v, 'domains-file') !== undefined)
      input.domains = readTargetsFile(str(v, 'domains-file')!, '--domains-file');
    const roles = pairs(v.role, 'role');
    const externalIds = pairs(v['external-id'], 'external-id');
    if (str(v, 'places') !== undefined) {
      if (Array.isArray(input.domains))
        throw new UsageError(
          "--places is for every associated domain; listed domains carry their own Region ('region:name')",
          ctx.command,
        );
      input.places = placesFromFlag(list(str(v, 'places')!), roles, externalIds);
    } else if ((roles.size > 0 || externalIds.size > 0) && Array.isArray(input.domains))
      input.domains = withRoles(input.domains as TargetInput[], roles, externalIds);
    if (bool(v, 'keep-package')) input.deletePackage = false;
    set('maxConcurrency', num(v, 'max-concurrency', REMOVE_OPTIONS));
    set('dissociationDeadlineSeconds', num(v, 'dissociation-deadline', REMOVE_OPTIONS));
    set('pollIntervalSeconds', num(v, 'poll-interval', REMOVE_OPTIONS));
    return startFromCli(ctx, packageRemovalStart, input, 'package removal');
  },
};

import { dataSourceAttachmentStart } from '../../client/data-source-attachment.js';
import { num, str, type Options } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { inputWithFlags, START_OPTIONS, startFromCli } from './start.js';

const ATTACH_OPTIONS: Options = {
  input: {
    type: 'string',
    arg: 'file.json',
    help: 'the whole input as JSON (schemas/data-source-attachment.input.schema.json); flags override its fields',
  },
  'application-id': {
    type: 'string',
    arg: 'id',
    help: 'the OpenSearch application, by id (3-30 a-z0-9)',
    field: 'applicationId',
  },
  'application-name': {
    type: 'string',
    arg: 'name',
    help: 'the OpenSearch application, by name (resolved to its id first)',
    field: 'applicationName',
  },
  'data-source-arn': {
    type: 'string',
    arg: 'arn',
    help: 'an OpenSearch domain ARN or an OpenSearch Serverless collection ARN',
    field: 'dataSourceArn',
  },
  'workspace-id': {
    type: 'string',
    arg: 'id',
    help: 'add the data source to this existing workspace',
    field: 'workspaceId',
  },
  'workspace-name': {
    type: 'string',
    arg: 'name',
    help: 'create a new workspace with this name once attached (with --workspace-type)',
    field: 'workspaceConfiguration.name',
  },
  'workspace-type': {
    type: 'string',
    arg: 'type',
    help: 'OBSERVABILITY | SECURITY_ANALYTICS | SEARCH (with --workspace-name)',
    field: 'workspaceConfiguration.workspaceType',
  },
  'wait-limit': {
    type: 'string',
    arg: 'seconds',
    help: 'wait at most this long for ATTACHED [86400 = 24 h, also the maximum]',
    field: 'waitLimitSeconds',
  },
  'poll-interval': {
    type: 'string',
    arg: 'seconds',
    help: 'AWS status polling while PENDING [30]',
    field: 'pollIntervalSeconds',
  },
};

// One run per (application, data source): the workflow id is derived, never chosen.
const { 'workflow-id': _workflowId, ...ATTACH_START_OPTIONS } = START_OPTIONS;

export const attachCommand: Command = {
  name: 'attach',
  summary: 'attach a data source (domain or collection) to an OpenSearch application',
  usage:
    'attach (--application-id <id> | --application-name <name>) --data-source-arn <arn>\n' +
    '                    [--workspace-id <id> | --workspace-name <name> --workspace-type <type>] [options]',
  details: [
    'Starts dataSourceAttachment: AttachDataSource, then a durable wait until AWS reports ATTACHED',
    '(success) or FAILED. The workflow id is data-source-attachment/<application>/<arn>; a second',
    'start for the same pair while one runs joins it (the same request) or is refused (another workspace).',
    '',
    'Example:',
    '  rollouts attach --application-name ops-console \\',
    '    --data-source-arn arn:aws:es:eu-west-1:123456789012:domain/logs-1 --wait',
  ].join('\n'),
  options: { ...ATTACH_OPTIONS, ...ATTACH_START_OPTIONS },
  connects: true,
  async run(ctx) {
    const v = ctx.values;
    const { input, set } = inputWithFlags(v, ctx.command, 'attachment');
    set('applicationId', str(v, 'application-id'));
    set('applicationName', str(v, 'application-name'));
    set('dataSourceArn', str(v, 'data-source-arn'));
    set('workspaceId', str(v, 'workspace-id'));
    const workspaceName = str(v, 'workspace-name');
    const workspaceType = str(v, 'workspace-type');
    if ((workspaceName === undefined) !== (workspaceType === undefined))
      throw new UsageError('--workspace-name and --workspace-type go together', ctx.command);
    if (workspaceName !== undefined)
      input.workspaceConfiguration = { name: workspaceName, workspaceType: workspaceType?.toUpperCase() };
    set('waitLimitSeconds', num(v, 'wait-limit', ATTACH_OPTIONS));
    set('pollIntervalSeconds', num(v, 'poll-interval', ATTACH_OPTIONS));
    return startFromCli(ctx, dataSourceAttachmentStart, input, 'data source attachment');
  },
};

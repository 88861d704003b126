import { isGrpcServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { RolloutAlreadyRunningError } from '../client/dictionary-rollout.js';
import { DataSourceAttachmentConflictError } from '../client/data-source-attachment.js';
import { OperationNotSupportedError } from '../client/index.js';
import { IotReleaseAlreadyRunningError } from '../client/iot-package-release.js';
import { ScheduleExistsError } from '../client/schedules.js';
import { ConfigError } from '../config.js';
import { InvalidInputError } from '../model/validation.js';
import {
  CONNECTION_OPTIONS,
  flagsByField,
  OUTPUT_OPTIONS,
  parse,
  renderOptions,
  type Options,
} from './args.js';
import type { Command } from './command.js';
import { attachCommand } from './commands/attach.js';
import { dictionaryCommand } from './commands/dictionary.js';
import { iotReleaseCommand } from './commands/iot-release.js';
import { devCommand } from './commands/dev.js';
import { emulatorCommand } from './commands/emulator.js';
import {
  approveCommand,
  cancelCommand,
  listCommand,
  pauseCommand,
  resumeCommand,
  statusCommand,
  watchCommand,
} from './commands/operate.js';
import { pluginCommand } from './commands/plugin.js';
import { removeCommand } from './commands/remove.js';
import {
  scheduleCreateCommand,
  scheduleDeleteCommand,
  scheduleDescribeCommand,
  scheduleListCommand,
  schedulePauseCommand,
  scheduleTriggerCommand,
  scheduleUnpauseCommand,
} from './commands/schedule.js';
import { createContext } from './context.js';
import { ExitCodes, NotFoundError, TemporalUnreachableError, UsageError } from './errors.js';
import { Output } from './output.js';

/** Every command, in the order `rollouts --help` lists them. */
export const COMMANDS: Command[] = [
  dictionaryCommand,
  attachCommand,
  iotReleaseCommand,
  removeCommand,
  pluginCommand,
  statusCommand,
  watchCommand,
  approveCommand,
  pauseCommand,
  resumeCommand,
  cancelCommand,
  listCommand,
  scheduleCreateCommand,
  scheduleListCommand,
  scheduleDescribeCommand,
  schedulePauseCommand,
  scheduleUnpauseCommand,
  scheduleTriggerCommand,
  scheduleDeleteCommand,
  emulatorCommand,
  devCommand,
];

function optionsOf(command: Command): Options {
  return { ...command.options, ...(command.connects ? CONNECTION_OPTIONS : {}), ...OUTPUT_OPTIONS };
}

function commandHelp(command: Command): string {
  return [
    `rollouts ${command.name} — ${command.summary}`,
    '',
    `Usage: rollouts ${command.usage}`,
    ...(command.details ? ['', command.details] : []),
    '',
    'Options:',
    renderOptions(optionsOf(command)),
  ].join('\n');
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'rollouts — start and operate package-rollouts workflows on Temporal',
    '',
    'Usage: rollouts <command> [options]        rollouts <command> --help for its options',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ROLLOUTS_TASK_QUEUE, TEMPORAL_TLS*, TEMPORAL_API_KEY',
    '(or --address, --namespace, --task-queue). AWS (for --file uploads): the AWS SDK environment.',
    '',
    'Exit codes: 0 success · 1 the rollout failed · 2 bad input · 3 cannot reach Temporal',
  ].join('\n');
}

/** Splits argv into the command and its arguments ('schedule create' takes two words). */
function findCommand(argv: string[]): { command?: Command; rest: string[]; typed: string } {
  const [first, second] = argv;
  if (first === undefined) return { rest: [], typed: '' };
  if (first === 'schedule') {
    const command = COMMANDS.find((c) => c.name === `schedule ${second}`);
    return {
      command,
      rest: argv.slice(2),
      typed: second === undefined || second.startsWith('-') ? 'schedule' : `schedule ${second}`,
    };
  }
  return { command: COMMANDS.find((c) => c.name === first), rest: argv.slice(1), typed: first };
}

interface ErrorReport {
  exitCode: number;
  type: string;
  message: string;
  issues?: Array<{ field: string; rule: string; flag?: string }>;
}

/** Every error the CLI can meet, as an exit code and words a person can act on. */
function classify(err: unknown, command?: Command): ErrorReport {
  if (err instanceof InvalidInputError) {
    const flags = command ? flagsByField(optionsOf(command)) : new Map<string, string>();
    // The nearest field with a flag: policy.waves.sizes[1] -> policy.waves.sizes (--wave-sizes).
    const flagFor = (field: string): string | undefined => {
      for (let f = field; ;) {
        // A flag for every element of a list: policy.gates.webhooks[0].url -> ...webhooks.url.
        const flag = flags.get(f) ?? flags.get(f.replace(/\[\d+\]/g, ''));
        if (flag) return flag;
        const parent = f.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
        if (parent === f) return undefined;
        f = parent;
      }
    };
    const issues = err.issues.map((i) => {
      const flag = flagFor(i.field);
      return { ...i, ...(flag ? { flag } : {}) };
    });
    const lines = issues.map((i) => `  - ${i.field || '(input)'}${i.flag ? ` (${i.flag})` : ''}: ${i.rule}`);
    return {
      exitCode: ExitCodes.badInput,
      type: 'InvalidInput',
      message: `Invalid ${err.what}:\n${lines.join('\n')}`,
      issues,
    };
  }
  if (err instanceof UsageError) {
    const hint = err.command ? `\nSee: rollouts ${err.command} --help` : '\nSee: rollouts --help';
    return { exitCode: ExitCodes.badInput, type: 'UsageError', message: `${err.message}${hint}` };
  }
  if (err instanceof ConfigError)
    return { exitCode: ExitCodes.badInput, type: 'ConfigError', message: `configuration: ${err.message}` };
  if (err instanceof NotFoundError)
    return { exitCode: ExitCodes.badInput, type: 'NotFound', message: err.message };
  if (err instanceof TemporalUnreachableError)
    return { exitCode: ExitCodes.temporalUnreachable, type: 'TemporalUnreachable', message: err.message };
  if (err instanceof OperationNotSupportedError)
    return { exitCode: ExitCodes.badInput, type: 'NotSupported', message: err.message };
  if (
    err instanceof RolloutAlreadyRunningError ||
    err instanceof IotReleaseAlreadyRunningError ||
    err instanceof DataSourceAttachmentConflictError ||
    err instanceof ScheduleExistsError
  )
    return { exitCode: ExitCodes.rolloutFailed, type: err.name.replace(/Error$/, ''), message: err.message };
  if (err instanceof WorkflowUpdateFailedError)
    // The workflow's validator refused (e.g. approve on a rollout without approval gates).
    return {
      exitCode: ExitCodes.badInput,
      type: 'UpdateRejected',
      message: `refused: ${err.cause?.message ?? err.message}`,
    };
  if (isGrpcServiceError(err)) {
    // 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED: the server went away mid-command.
    if (err.code === 14 || err.code === 4)
      return {
        exitCode: ExitCodes.temporalUnreachable,
        type: 'TemporalUnreachable',
        message: `Temporal stopped answering: ${err.details || err.message}`,
      };
    if (err.code === 5 && /namespace/i.test(err.details ?? ''))
      return {
        exitCode: ExitCodes.badInput,
        type: 'NotFound',
        message: `${err.details} (TEMPORAL_NAMESPACE / --namespace)`,
      };
    if (err.code === 3)
      return { exitCode: ExitCodes.badInput, type: 'InvalidArgument', message: err.details || err.message };
  }
  const e = err as Error;
  if ((e?.name === 'WorkflowNotFoundError' || e?.name === 'QueryNotRegisteredError') && e.message)
    return { exitCode: ExitCodes.badInput, type: e.name, message: e.message };
  return { exitCode: ExitCodes.rolloutFailed, type: e?.name ?? 'Error', message: e?.message ?? String(err) };
}

/** Runs the CLI and returns its exit code; never throws. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  streams: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output(json, streams.stdout, streams.stderr);
  const { command, rest, typed } = findCommand(argv);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const target = argv[0] === 'help' && argv.length > 1 ? findCommand(argv.slice(1)).command : undefined;
    out.line(target ? commandHelp(target) : mainHelp());
    if (json) out.result({ commands: COMMANDS.map((c) => ({ name: c.name, summary: c.summary })) }, () => '');
    return argv.length === 0 ? ExitCodes.badInput : ExitCodes.ok;
  }
  if (!command) {
    const schedules = COMMANDS.filter((c) => c.name.startsWith('schedule ')).map((c) => c.name.slice(9));
    const message =
      typed === 'schedule'
        ? `'rollouts schedule' needs a subcommand: ${schedules.join(', ')}`
        : `unknown command '${typed}'`;
    const report = classify(new UsageError(message));
    out.error({ error: report }, `rollouts: ${report.message}`);
    return report.exitCode;
  }
  let ctx: ReturnType<typeof createContext> | undefined;
  try {
    const { values, positionals } = parse(rest, optionsOf(command), command.name);
    if (values.help === true) {
      out.line(commandHelp(command));
      if (json)
        out.result({ command: command.name, usage: command.usage, options: optionsOf(command) }, () => '');
      return ExitCodes.ok;
    }
    ctx = createContext({ command: command.name, values, positionals, out, env });
    return await command.run(ctx);
  } catch (err) {
    const report = classify(err, command);
    out.error({ error: report }, `rollouts ${command.name}: ${report.message}`);
    return report.exitCode;
  } finally {
    await ctx?.close();
  }
}

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../model/validation.js';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder in help: `--domains <a,b,c>`. */
  arg?: string;
  help: string;
  /** The input field this flag sets, so an InvalidInputError can name the flag too. */
  field?: string;
}

export type Options = Record<string, OptionSpec>;

/** Connection and output flags every command that talks to Temporal accepts. */
export const CONNECTION_OPTIONS: Options = {
  address: { type: 'string', arg: 'host:port', help: 'Temporal frontend [TEMPORAL_ADDRESS, localhost:7233]' },
  namespace: { type: 'string', arg: 'name', help: 'Temporal namespace [TEMPORAL_NAMESPACE, default]' },
  'task-queue': {
    type: 'string',
    arg: 'name',
    help: 'task queue the workers poll [ROLLOUTS_TASK_QUEUE, package-rollouts]',
  },
  'connect-timeout': { type: 'string', arg: 'seconds', help: 'give up connecting after this long [5]' },
};
export const OUTPUT_OPTIONS: Options = {
  json: { type: 'boolean', help: 'machine-readable output: one JSON document on stdout (errors too)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface ParsedArgs {
  values: Values;
  positionals: string[];
}

/** node:util parseArgs, strict, with errors that read as usage errors (exit code 2). */
export function parse(argv: string[], options: Options, command: string): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options))
    config[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: config,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (err) {
    // parseArgs explains itself ("Unknown option '--x'"); point at the command's help as well.
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message, command);
  }
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
export function bool(values: Values, name: string): boolean {
  return values[name] === true;
}

/** A number flag; a non-number is reported against the input field it sets. */
export function num(values: Values, name: string, options: Options): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n))
    throw new InvalidInputError('command line', [
      { field: options[name]?.field ?? `--${name}`, rule: `must be a number (--${name} ${raw})` },
    ]);
  return n;
}

/** `a,b,c` (spaces and empty entries ignored). */
export function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** One name per line (or comma-separated); '#' starts a comment. */
export function readList(path: string, what: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .flatMap((l) => list(l));
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} '${path}' is not valid JSON: ${(err as Error).message}`);
  }
}

/** Exactly one positional: the workflow or schedule id. */
export function onePositional(positionals: string[], name: string, command: string): string {
  if (positionals.length === 0) throw new UsageError(`missing <${name}>`, command);
  if (positionals.length > 1)
    throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`, command);
  return positionals[0]!;
}
export function noPositionals(positionals: string[], command: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`, command);
}

export function renderOptions(options: Options): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.min(38, Math.max(...rows.map(([f]) => f.length)) + 2);
  return rows
    .map(([flag, help]) =>
      flag.length + 2 > width ? `  ${flag}\n  ${' '.repeat(width)}${help}` : `  ${flag.padEnd(width)}${help}`,
    )
    .join('\n');
}

/** Flag names by input field, to say "policy.maxConcurrency (--max-concurrency)" in errors. */
export function flagsByField(options: Options): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, o] of Object.entries(options))
    if (o.field && !map.has(o.field)) map.set(o.field, `--${name}`);
  return map;
}

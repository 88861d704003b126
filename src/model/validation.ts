import type { z } from 'zod';

/** One broken rule: `field` is a dotted path into the input (e.g. `policy.waves.sizes[1]`). */
export interface InputIssue {
  field: string;
  rule: string;
}

/** Thrown by the client and the CLI before anything starts; workflows turn it into InvalidInput. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly what: string,
    readonly issues: InputIssue[],
  ) {
    super(formatIssues(what, issues));
  }
}

export function formatIssues(what: string, issues: InputIssue[]): string {
  const lines = issues.map((i) => `  - ${i.field || '(input)'}: ${i.rule}`);
  return `Invalid ${what}:\n${lines.join('\n')}`;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

export function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ field: fieldPath(i.path), rule: i.message }));
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: InputIssue[] };

export function validate<S extends z.ZodType>(schema: S, input: unknown): Validation<z.output<S>> {
  const parsed = schema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: issuesOf(parsed.error) };
}

/** Parse or throw InvalidInputError naming every broken field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = validate(schema, input);
  if (!result.ok) throw new InvalidInputError(what, result.issues);
  return result.value;
}

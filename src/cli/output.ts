/**
 * Where the CLI writes: people get lines on stdout (and notices on stderr); scripts (--json) get
 * exactly one JSON document on stdout, or JSON lines for streaming commands (watch).
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A line for people; nothing in --json mode. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** A notice (warnings, hints): stderr, so it never mixes into piped output. */
  notice(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** The command's answer: JSON in --json mode, else the human rendering. */
  result(value: unknown, human: () => string | string[]): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = human();
      this.stdout.write(`${Array.isArray(text) ? text.join('\n') : text}\n`);
    }
  }

  /** One JSON line (streaming commands in --json mode). */
  jsonLine(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  error(value: unknown, human: string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else this.stderr.write(`${human}\n`);
  }
}

/** Left-aligned columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}

export function when(ms: number | string | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return Number.isNaN(d.getTime())
    ? String(ms)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

export function seconds(fromMs: number | undefined, toMs: number | undefined): string {
  if (fromMs === undefined || toMs === undefined) return '';
  return `${((toMs - fromMs) / 1000).toFixed(1)}s`;
}

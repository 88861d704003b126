/** Pure helpers for the benchmark's tables and figures (no I/O). */

export type Cell = string | number | undefined;

/**
 * A GitHub-flavoured Markdown table. Numbers are right-aligned, text left-aligned; a column is
 * right-aligned when every non-empty cell in it is a number or looks like one ("1,234", "2.5 s").
 */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const numeric = headers.map((_, i) =>
    text.every((row) => {
      const cell = row[i] ?? '';
      return cell === '' || cell === '—' || NUMERIC.test(cell);
    }),
  );
  const widths = headers.map((h, i) => Math.max(3, h.length, ...text.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}

const NUMERIC = /^[~≈<>+\-×]?\s?[\d,.]+\s?(%|×|x|s|ms|min|KiB|MiB|GiB|B|KB|MB)?$/;

function cellText(cell: Cell): string {
  if (cell === undefined) return '—';
  if (typeof cell === 'number') return Number.isInteger(cell) ? groupDigits(cell) : String(cell);
  return cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** 1234567 -> "1,234,567". */
export function groupDigits(n: number): string {
  const [int, frac] = String(Math.abs(n)).split('.');
  const grouped = (int ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/** Milliseconds as seconds with sensible precision: 412 -> "0.41 s", 12345 -> "12.3 s", 123456 -> "123 s". */
export function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 100) return `${s.toFixed(1)} s`;
  return `${Math.round(s)} s`;
}

/** Bytes with a binary unit: 512 -> "512 B", 2048 -> "2.0 KiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** a / b to two decimals, "—" when b is 0. */
export function ratio(a: number, b: number): string {
  if (b === 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

/** A number rounded to `digits` decimals (trailing zeros kept). */
export function fixed(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Least-squares fit y = a + b·x: the constant and the slope (per unit of x). */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): {
  intercept: number;
  slope: number;
} {
  const n = points.length;
  if (n === 0) return { intercept: NaN, slope: NaN };
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return { intercept: my, slope: 0 };
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/**
 * Groups call timestamps (ms) into bursts separated by more than `gapMs`: a polling round that
 * reads several pages is one burst. Returns the size of each burst, in order.
 */
export function bursts(timestamps: readonly number[], gapMs: number): number[] {
  const sorted = [...timestamps].sort((a, b) => a - b);
  const sizes: number[] = [];
  let last = -Infinity;
  for (const t of sorted) {
    if (t - last > gapMs || sizes.length === 0) sizes.push(1);
    else sizes[sizes.length - 1]! += 1;
    last = t;
  }
  return sizes;
}

/** Sorted "Operation: count" pairs of a counts map, keys without their "service:" prefix. */
export function operationCounts(counts: Readonly<Record<string, number>>): Array<[string, number]> {
  return Object.entries(counts)
    .map(([k, v]) => [k.includes(':') ? k.slice(k.indexOf(':') + 1) : k, v] as [string, number])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

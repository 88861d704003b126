/**
 * Scans workflow histories for things that must never be recorded there: AWS credentials, the
 * payload encryption key, session tokens and request signatures, and the contents of the files a
 * rollout read (dictionaries staged from S3 or a URL). Used by the chaos suite over every history
 * it produced and by test/workflows/history-secrets.test.ts.
 *
 * Every string in the history is scanned, and every payload twice: as stored (what the server, its
 * database and the Web UI without a codec see) and decoded (through the payload codec when one is
 * given, then as UTF-8), so a secret inside an encrypted payload is still found.
 */
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface Needle {
  /** What it is, for the report (never the value itself). */
  label: string;
  value: string | RegExp;
}

export interface Finding {
  workflowId: string;
  runId: string;
  eventId: string;
  eventType: string;
  needle: string;
  /** Where in the event: 'string', 'payload (stored)' or 'payload (decoded)'. */
  where: string;
}

export interface ScanReport {
  histories: number;
  events: number;
  payloads: number;
  /** Characters of text looked at (strings and payloads). */
  scannedChars: number;
  findings: Finding[];
}

/** Patterns that name a credential or a signature whatever its value. */
export const GENERIC_NEEDLES: Needle[] = [
  { label: 'an AWS access key id (AKIA/ASIA...)', value: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { label: 'a SigV4 Authorization header', value: /AWS4-HMAC-SHA256/ },
  { label: 'a presigned-URL signature', value: /X-Amz-(?:Signature|Credential|Security-Token)/i },
  { label: 'an x-amz-security-token header', value: /x-amz-security-token/i },
  { label: 'a PEM private key', value: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { label: 'a bearer token', value: /\bBearer\s+[A-Za-z0-9._~+/-]{16,}/ },
];

/** Needles for a secret value: the value itself and its base64 and hex forms. */
export function secretNeedles(label: string, value: string): Needle[] {
  const out: Needle[] = [{ label, value }];
  const b64 = Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, '');
  if (b64.length >= 12) out.push({ label: `${label} (base64)`, value: b64 });
  // A base64 key is also worth finding as the bytes it stands for, hex-encoded.
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
    const hex = Buffer.from(value, 'base64').toString('hex');
    if (hex.length >= 32) out.push({ label: `${label} (hex of its bytes)`, value: hex });
  }
  return out;
}

/** Needles for the contents of a file: every distinctive line (>= minLength characters). */
export function fileContentNeedles(label: string, text: string, minLength = 12): Needle[] {
  const lines = [...new Set(text.split(/\r?\n/).map((l) => l.trim()))].filter((l) => l.length >= minLength);
  return lines.map((line, i) => ({ label: `${label}, line ${i + 1}`, value: line }));
}

function matches(text: string, needle: Needle): boolean {
  return typeof needle.value === 'string' ? text.includes(needle.value) : needle.value.test(text);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function isPayload(value: unknown): value is Payload {
  return (
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    (value as { data?: unknown }).data instanceof Uint8Array &&
    'metadata' in value
  );
}

interface Collected {
  strings: string[];
  payloads: Payload[];
}

function collect(value: unknown, out: Collected, depth = 0): void {
  if (depth > 64 || value === null || value === undefined) return;
  if (typeof value === 'string') {
    out.strings.push(value);
    return;
  }
  if (value instanceof Uint8Array) {
    out.strings.push(utf8.decode(value));
    return;
  }
  if (typeof value !== 'object') return;
  if (isPayload(value)) {
    out.payloads.push(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
    return;
  }
  for (const v of Object.values(value as Record<string, unknown>)) collect(v, out, depth + 1);
}

function payloadText(payload: Payload): string {
  // Metadata values and data are bytes as the server stores them; a decoded payload's may be other shapes.
  const text = (v: unknown) =>
    v instanceof Uint8Array ? utf8.decode(v) : typeof v === 'string' ? v : v ? JSON.stringify(v) : '';
  const meta = Object.entries(payload.metadata ?? {})
    .map(([k, v]) => `${k}=${text(v)}`)
    .join(' ');
  return `${meta}\n${text(payload.data)}`;
}

/** History events as fetchHistory() returns them. */
export interface HistoryLike {
  events?: Array<Record<string, unknown> | null> | null;
}

export async function scanHistory(
  history: HistoryLike,
  needles: readonly Needle[],
  ids: { workflowId: string; runId: string },
  codec?: PayloadCodec,
): Promise<ScanReport> {
  const report: ScanReport = { histories: 1, events: 0, payloads: 0, scannedChars: 0, findings: [] };
  const all = [...GENERIC_NEEDLES, ...needles];
  for (const event of history.events ?? []) {
    if (!event) continue;
    report.events++;
    const eventId = String(event.eventId ?? '?');
    const eventType = String(event.eventType ?? '?');
    const found = new Set<string>();
    const check = (text: string, where: string) => {
      report.scannedChars += text.length;
      for (const needle of all) {
        const key = `${needle.label}|${where}`;
        if (!found.has(key) && matches(text, needle)) {
          found.add(key);
          report.findings.push({ ...ids, eventId, eventType, needle: needle.label, where });
        }
      }
    };
    const collected: Collected = { strings: [], payloads: [] };
    collect(event, collected);
    for (const s of collected.strings) check(s, 'string');
    for (const payload of collected.payloads) {
      report.payloads++;
      check(payloadText(payload), 'payload (stored)');
      let decoded: Payload[] = [payload];
      if (codec) {
        try {
          decoded = await codec.decode([payload]);
        } catch (err) {
          report.findings.push({
            ...ids,
            eventId,
            eventType,
            needle: `undecodable payload: ${(err as Error).message}`,
            where: 'payload (decoded)',
          });
          continue;
        }
      }
      for (const p of decoded) {
        const inner: Collected = { strings: [], payloads: [] };
        // A decoded payload may itself hold payloads (e.g. failure details); scan them all.
        check(payloadText(p), 'payload (decoded)');
        collect(p.metadata, inner);
        for (const s of inner.strings) check(s, 'payload (decoded)');
      }
    }
  }
  return report;
}

/** Fetches and scans the history of every given run. */
export async function scanHistories(
  client: Client,
  runs: ReadonlyArray<{ workflowId: string; runId?: string }>,
  needles: readonly Needle[],
  codec?: PayloadCodec,
): Promise<ScanReport> {
  const total: ScanReport = { histories: 0, events: 0, payloads: 0, scannedChars: 0, findings: [] };
  for (const run of runs) {
    const handle = client.workflow.getHandle(run.workflowId, run.runId);
    const history = (await handle.fetchHistory()) as HistoryLike;
    const report = await scanHistory(
      history,
      needles,
      { workflowId: run.workflowId, runId: run.runId ?? '(latest)' },
      codec,
    );
    total.histories++;
    total.events += report.events;
    total.payloads += report.payloads;
    total.scannedChars += report.scannedChars;
    total.findings.push(...report.findings);
  }
  return total;
}

export function describeFindings(findings: readonly Finding[], max = 20): string[] {
  return findings
    .slice(0, max)
    .map(
      (f) => `${f.workflowId} (run ${f.runId}) event ${f.eventId} ${f.eventType}: ${f.needle} in ${f.where}`,
    );
}

/**
 * Reading a file as OpenSearch does: strict UTF-8 (Java's decoder reports malformed input, and
 * OpenSearch fails the whole file), a byte order mark kept as a character (Java does not strip
 * it), lines split by Java's BufferedReader.readLine rules, Java's String.trim.
 */
import type { Diagnostic, ErrorRule } from './types.js';

const BOM = [0xef, 0xbb, 0xbf];

export function startsWithBom(bytes: Uint8Array): boolean {
  return BOM.every((b, i) => bytes[i] === b);
}

/** Decodes strictly; on malformed bytes, names the first line that holds them. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { error: Diagnostic<ErrorRule> } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    return {
      error: {
        line,
        rule: 'not-utf8',
        message: `line ${line}: bytes that are not UTF-8 (OpenSearch reads dictionary files as UTF-8 only and refuses the whole file; re-save it as UTF-8)`,
      },
    };
  }
}

/** Java's readLine: `\n`, `\r` and `\r\n` end a line; a final terminator adds no empty line. */
export function javaLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split(/\r\n|\r|\n/);
  if (/[\r\n]$/.test(text)) lines.pop();
  return lines;
}

/** Java's String.trim: strips code units up to U+0020 (not NBSP, not a BOM) from both ends. */
export function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

/** Quotes a rule for a message, showing invisible characters. */
export function shown(s: string): string {
  const visible = s.replace(/\uFEFF/g, '<BOM>').replace(/\t/g, '<TAB>');
  return JSON.stringify(visible.length > 80 ? `${visible.slice(0, 77)}...` : visible);
}

/**
 * The analyzer chain OpenSearch runs on every rule of a synonym file, modelled for the checks that
 * decide acceptance: which tokens come out, and whether any has a position increment other than 1
 * (a stop word removed before a kept word), which Lucene's SynonymMap.Parser refuses.
 *
 * The standard tokenizer is Unicode's word segmentation (UAX #29), as is Intl.Segmenter's; like
 * Lucene it keeps segments holding a letter, a digit or an emoji and cuts ideographs and hiragana
 * one character per token. The whitespace tokenizer splits on Java's Character.isWhitespace.
 * Tokens longer than 255 characters are cut into pieces by both, as Lucene does.
 */
import type { AnalyzerChain, ChainFilter } from './types.js';

export interface Token {
  term: string;
  /** 1 for a token right after the previous one; more when filtered tokens came between. */
  positionIncrement: number;
}

const MAX_TOKEN_LENGTH = 255;

/** Java's Character.isWhitespace: Unicode spaces except the no-break ones, plus some controls. */
const JAVA_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x205f, 0x3000,
]); // prettier-ignore
const isJavaWhitespace = (ch: string) => JAVA_WHITESPACE.has(ch.codePointAt(0)!);
const KEPT_BY_STANDARD = /[\p{L}\p{Nd}\p{Nl}\p{Extended_Pictographic}]/u;
const ONE_PER_CHARACTER = /^[\p{Script=Han}\p{Script=Hiragana}]+$/u;

/** Lucene's English stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET), OpenSearch's `_english_`. */
export const ENGLISH_STOP_WORDS: readonly string[] = [
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no',
  'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this',
  'to', 'was', 'will', 'with',
]; // prettier-ignore

function splitLong(term: string): string[] {
  const cps = Array.from(term);
  if (cps.length <= MAX_TOKEN_LENGTH) return [term];
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += MAX_TOKEN_LENGTH)
    out.push(cps.slice(i, i + MAX_TOKEN_LENGTH).join(''));
  return out;
}

let segmenter: Intl.Segmenter | undefined;

export function tokenize(text: string, tokenizer: AnalyzerChain['tokenizer']): string[] {
  if (tokenizer === 'whitespace') {
    const out: string[] = [];
    let current = '';
    for (const ch of text) {
      if (isJavaWhitespace(ch)) {
        if (current) out.push(...splitLong(current));
        current = '';
      } else current += ch;
    }
    if (current) out.push(...splitLong(current));
    return out;
  }
  segmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
  const out: string[] = [];
  for (const { segment } of segmenter.segment(text)) {
    if (!KEPT_BY_STANDARD.test(segment)) continue;
    if (ONE_PER_CHARACTER.test(segment)) out.push(...Array.from(segment));
    else out.push(...splitLong(segment));
  }
  return out;
}

/** Lucene's LowerCaseFilter lowers code point by code point (Character.toLowerCase). */
function lowerCase(term: string): string {
  let out = '';
  for (const ch of term) out += Array.from(ch.toLowerCase())[0] ?? ch;
  return out;
}

function stopSet(filter: Extract<ChainFilter, { type: 'stop' }>): Set<string> {
  const words = new Set<string>();
  for (const w of filter.stopwords) {
    for (const word of w === '_english_' ? ENGLISH_STOP_WORDS : [w])
      words.add(filter.ignoreCase ? lowerCase(word) : word);
  }
  return words;
}

const stopSets = new WeakMap<ChainFilter, Set<string>>();

/** Runs text through the chain: the tokens the synonym parser sees, with their position increments. */
export function analyze(text: string, chain: AnalyzerChain): Token[] {
  let tokens: Token[] = tokenize(text, chain.tokenizer).map((term) => ({ term, positionIncrement: 1 }));
  for (const filter of chain.filters) {
    if (filter.type === 'lowercase') {
      tokens = tokens.map((t) => ({ ...t, term: lowerCase(t.term) }));
      continue;
    }
    let words = stopSets.get(filter);
    if (!words) stopSets.set(filter, (words = stopSet(filter)));
    const kept: Token[] = [];
    let skipped = 0;
    for (const t of tokens) {
      if (words.has(filter.ignoreCase ? lowerCase(t.term) : t.term)) {
        skipped += t.positionIncrement;
        continue;
      }
      kept.push({ ...t, positionIncrement: t.positionIncrement + skipped });
      skipped = 0;
    }
    tokens = kept;
  }
  return tokens;
}

/** Dropped by the standard tokenizer as everyone expects: word-joining punctuation, NBSP, a BOM. */
const EXPECTED_DROPS = new Set(['-', "'", '\u2019', '\u00A0', '\uFEFF']);

/**
 * Characters of the text (other than whitespace) that the tokenizer throws away, e.g. `++` of
 * `c++` with the standard tokenizer: the rule then matches something else than what it says.
 */
export function droppedCharacters(text: string, tokenizer: AnalyzerChain['tokenizer']): string {
  if (tokenizer === 'whitespace') return '';
  let rest = text;
  for (const term of tokenize(text, tokenizer)) rest = rest.replace(term, ' ');
  return Array.from(rest)
    .filter((ch) => !isJavaWhitespace(ch) && !EXPECTED_DROPS.has(ch))
    .join('');
}

/**
 * Pre-flight check of a TXT-DICTIONARY before it reaches any domain: would OpenSearch accept it
 * as `synonyms_path` (Solr or WordNet format) or `stopwords_path` (a word list), read through the
 * given analyzer chain? Errors are what OpenSearch refuses (index creation answers 400 "Failed to
 * build synonyms"; a reopened index stays closed), each naming the line and the rule; warnings
 * are what it accepts although the author probably meant something else.
 *
 * The input is the file's bytes, not a string: whether they are UTF-8 is part of the verdict.
 */
import { checkSolrLine, type LineReport } from './solr.js';
import { decodeUtf8, javaLines, javaTrim, startsWithBom } from './text.js';
import {
  DEFAULT_CHAIN,
  type CheckOptions,
  type CheckResult,
  type Diagnostic,
  type WarningRule,
} from './types.js';
import { checkWordnetLine } from './wordnet.js';

const NAMED_STOPWORD_SET = /^_[a-z]+_$/;

function bomWarning(format: CheckOptions['format']): Diagnostic<WarningRule> {
  const effect =
    format === 'solr'
      ? 'the BOM becomes part of the first line, so a first-line "#" comment is read as a rule and a first term never matches'
      : format === 'wordnet'
        ? 'the BOM shifts the first line, so its synset id is misread and the first synset is silently broken'
        : 'the BOM becomes part of the first word, which then never matches';
  return {
    line: 1,
    rule: 'byte-order-mark',
    message: `line 1: the file starts with a UTF-8 byte order mark, which OpenSearch does not strip: ${effect}; save it without BOM`,
  };
}

function checkWordlistLine(line: string, n: number): LineReport {
  const report: LineReport = { errors: [], warnings: [] };
  const word = javaTrim(line);
  if (NAMED_STOPWORD_SET.test(word))
    report.warnings.push({
      line: n,
      rule: 'named-stopword-set',
      message: `line ${n}: ${word} in a stopword file stands for OpenSearch's whole predefined set, not the word itself`,
    });
  else if (/[ \t]/.test(word) && !word.startsWith('#'))
    report.warnings.push({
      line: n,
      rule: 'stopword-with-space',
      message: `line ${n}: "${word}" holds a space; a stop filter compares single tokens, so this entry never matches`,
    });
  return report;
}

export function checkDictionary(bytes: Uint8Array, options: CheckOptions): CheckResult {
  const { format } = options;
  const result: CheckResult = { ok: true, format, errors: [], warnings: [], lines: 0 };
  if (format === 'none') return result;
  const decoded = decodeUtf8(bytes);
  if ('error' in decoded) return { ...result, ok: false, errors: [decoded.error] };
  if (startsWithBom(bytes)) result.warnings.push(bomWarning(format));

  const chain = options.chain ?? DEFAULT_CHAIN;
  const lenient = options.lenient ?? false;
  const maxErrors = options.maxErrors ?? 50;
  const lines = javaLines(decoded.text);
  result.lines = lines.length;
  for (let i = 0; i < lines.length && result.errors.length < maxErrors; i++) {
    const line = lines[i]!;
    const report =
      format === 'solr'
        ? checkSolrLine(line, i + 1, chain, lenient)
        : format === 'wordnet'
          ? checkWordnetLine(line, i + 1, chain, lenient)
          : checkWordlistLine(line, i + 1);
    result.errors.push(...report.errors);
    result.warnings.push(...report.warnings);
  }
  result.errors.splice(maxErrors);
  result.ok = result.errors.length === 0;
  return result;
}

/**
 * Solr synonym format, checked the way Lucene's SolrSynonymParser reads it (with OpenSearch's
 * `lenient` switch):
 * - an empty line, or one whose first character is `#`, is skipped — nothing else is a comment;
 * - a line splits on `=>`; empty pieces vanish (so `=> b` and `a =>` are one-sided rules, and
 *   `a =>=> b` is `a => b`); more than two pieces is refused ("more than one explicit mapping");
 * - each side splits on `,` the same way; `\` escapes the next character (`\,`, `\=>`, `\\`);
 * - each term is unescaped, trimmed (Java's trim) and run through the analyzer chain: a term with
 *   no token left is refused ("completely eliminated by analyzer"), and so is one where a filter
 *   removed a token before a kept one ("position increment != 1").
 */
import { analyze, droppedCharacters } from './analyzer.js';
import { javaTrim, shown } from './text.js';
import type { AnalyzerChain, Diagnostic, ErrorRule, WarningRule } from './types.js';

/** Splits on a separator outside escapes, dropping empty pieces (Lucene's private split). */
export function splitRule(s: string, separator: string): string[] {
  const out: string[] = [];
  let piece = '';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith(separator, i)) {
      if (piece.length > 0) out.push(piece);
      piece = '';
      i += separator.length;
      continue;
    }
    const ch = s[i++]!;
    piece += ch;
    if (ch === '\\') {
      if (i >= s.length) break;
      piece += s[i++]!;
    }
  }
  if (piece.length > 0) out.push(piece);
  return out;
}

export function unescapeRule(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    out += s[i] === '\\' && i < s.length - 1 ? s[++i] : s[i];
  }
  return out;
}

const term = (raw: string) => javaTrim(unescapeRule(raw));

export interface LineReport {
  errors: Diagnostic<ErrorRule>[];
  warnings: Diagnostic<WarningRule>[];
}

/** Checks one term (already unescaped and trimmed by the caller) as SynonymMap.Parser.analyze does. */
export function checkTerm(
  text: string,
  line: number,
  chain: AnalyzerChain,
  lenient: boolean,
  report: LineReport,
  where: string,
  lintDropped = true,
): void {
  const tokens = analyze(text, chain);
  const hole = tokens.find((t) => t.positionIncrement !== 1);
  if (!lenient && tokens.length === 0) {
    report.errors.push({
      line,
      rule: 'term-eliminated',
      message:
        text.length === 0
          ? `line ${line}: ${where} is empty (an empty side, a stray "," or a line of only spaces): OpenSearch refuses it as "completely eliminated by analyzer"`
          : `line ${line}: the term ${shown(text)} in ${where} has no token left after the analyzer chain (${chain.tokenizer} tokenizer${chain.filters.length ? ` + ${chain.filters.map((f) => f.type).join(' + ')}` : ''}): OpenSearch refuses it as "completely eliminated by analyzer"`,
    });
    return;
  }
  if (!lenient && hole) {
    report.errors.push({
      line,
      rule: 'term-has-hole',
      message: `line ${line}: in the term ${shown(text)} (${where}) a filter removes a word before ${shown(hole.term)} (a stop word?), leaving a gap: OpenSearch refuses it ("position increment != 1")`,
    });
    return;
  }
  const dropped = droppedCharacters(text, chain.tokenizer);
  if (lintDropped && tokens.length > 0 && dropped) {
    report.warnings.push({
      line,
      rule: 'characters-dropped',
      message: `line ${line}: ${shown(text)} is read as ${shown(tokens.map((t) => t.term).join(' '))}: the ${chain.tokenizer} tokenizer drops ${shown(dropped)}, so the rule applies to more than it says`,
    });
  }
}

export function checkSolrLine(line: string, n: number, chain: AnalyzerChain, lenient: boolean): LineReport {
  const report: LineReport = { errors: [], warnings: [] };
  if (line.length === 0 || line[0] === '#') return report;
  if (javaTrim(line).startsWith('#'))
    report.warnings.push({
      line: n,
      rule: 'comment-not-in-column-0',
      message: `line ${n}: a "#" comment only counts in the first column; this one is read as a synonym rule`,
    });
  else if (/[ \t]#/.test(line))
    report.warnings.push({
      line: n,
      rule: 'trailing-comment',
      message: `line ${n}: "#" after a rule is not a comment: the text after it is part of the rule`,
    });
  if (/(^|[^\\])(\\\\)*\\$/.test(line))
    report.warnings.push({
      line: n,
      rule: 'trailing-backslash',
      message: `line ${n}: a trailing "\\" escapes nothing and stays in the last term`,
    });

  const sides = splitRule(line, '=>');
  if (sides.length > 2) {
    report.errors.push({
      line: n,
      rule: 'several-explicit-mappings',
      message: `line ${n}: more than one "=>" on the same line: OpenSearch refuses it ("more than one explicit mapping specified on the same line"), even with lenient`,
    });
    return report;
  }
  const arrows = line.split('=>').length - 1 - (line.match(/\\=>/g)?.length ?? 0);
  if (arrows > 0 && sides.length < 2)
    report.warnings.push({
      line: n,
      rule: 'empty-arrow-side',
      message: `line ${n}: one side of "=>" is empty, so OpenSearch reads the line as a plain list with no mapping`,
    });
  else if (arrows > 1)
    report.warnings.push({
      line: n,
      rule: 'repeated-arrow',
      message: `line ${n}: "=>" appears ${arrows} times with nothing between; OpenSearch reads a single "=>"`,
    });

  if (sides.length === 2) {
    splitRule(sides[0]!, ',').forEach((t) => checkTerm(term(t), n, chain, lenient, report, 'the left side'));
    splitRule(sides[1]!, ',').forEach((t) => checkTerm(term(t), n, chain, lenient, report, 'the right side'));
  } else {
    // A one-sided arrow (`a =>`) leaves the arrow inside the term, already reported above.
    const lintDropped = arrows === 0;
    splitRule(line, ',').forEach((t) =>
      checkTerm(term(t), n, chain, lenient, report, 'the list', lintDropped),
    );
  }
  return report;
}

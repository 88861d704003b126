/**
 * WordNet prolog synonyms (`s(100000001,1,'word',n,1,0).`), checked the way Lucene's
 * WordnetSynonymParser reads them: every line, blank or `%` comment included, must be at least 11
 * characters (characters 3-11 are the synset id) and hold a quoted word between its first and
 * last `'` (`''` is a quote inside). Anything else makes Lucene fail without a line number
 * (StringIndexOutOfBoundsException); the word then goes through the analyzer chain like a Solr term, untrimmed and
 * with no escapes.
 */
import { checkTerm, type LineReport } from './solr.js';
import type { AnalyzerChain } from './types.js';

export function checkWordnetLine(
  line: string,
  n: number,
  chain: AnalyzerChain,
  lenient: boolean,
): LineReport {
  const report: LineReport = { errors: [], warnings: [] };
  if (line.length < 11) {
    report.errors.push({
      line: n,
      rule: 'wordnet-line-too-short',
      message: `line ${n}: ${line.trim() === '' ? 'a blank line' : 'a line shorter than 11 characters'}: WordNet files allow no blank lines (not even at the end) and no comments; OpenSearch fails without naming the line`,
    });
    return report;
  }
  const start = line.indexOf("'") + 1;
  const end = line.lastIndexOf("'");
  if (end < start) {
    report.errors.push({
      line: n,
      rule: 'wordnet-missing-quotes',
      message: `line ${n}: no word between two "'" (expected s(<synset id>,<n>,'word',...).); a "%" comment is not allowed either; OpenSearch fails without naming the line`,
    });
    return report;
  }
  const word = line.slice(start, end).split("''").join("'");
  checkTerm(word, n, chain, lenient, report, 'the synset word');
  return report;
}

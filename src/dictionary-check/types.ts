/**
 * Shapes of the dictionary pre-flight check. Pure TypeScript with no Node imports: it runs in a
 * worker, the CLI, a browser or a workflow alike.
 */

/** How OpenSearch reads the file: `synonyms_path` (format solr or wordnet), `stopwords_path`, or unchecked. */
export type DictionaryFormat = 'solr' | 'wordnet' | 'wordlist' | 'none';

/** A token filter that runs before the synonym filter, in order. */
export type ChainFilter =
  | { type: 'lowercase' }
  /** A `stop` filter. `_english_` in the list stands for Lucene's English set, as in OpenSearch. */
  | { type: 'stop'; stopwords: readonly string[]; ignoreCase?: boolean };

/**
 * The analyzer chain in front of the synonym filter: OpenSearch runs every rule of the file through
 * it, so it decides what a rule means and whether it is accepted. Read it from the index's settings.
 */
export interface AnalyzerChain {
  tokenizer: 'standard' | 'whitespace';
  filters: readonly ChainFilter[];
}

/**
 * The default chain: `standard` tokenizer then `lowercase`, the chain of Amazon OpenSearch
 * Service's synonym examples. A `whitespace` chain accepts more (it keeps `c++`, `#`, `-`).
 */
export const DEFAULT_CHAIN: AnalyzerChain = { tokenizer: 'standard', filters: [{ type: 'lowercase' }] };

export interface CheckOptions {
  format: DictionaryFormat;
  chain?: AnalyzerChain;
  /** The synonym filter's `lenient` setting: rules whose terms analyze to nothing are skipped [false]. */
  lenient?: boolean;
  /** Stop after this many errors [50]. */
  maxErrors?: number;
}

/** Why OpenSearch refuses the file; every code names one rule of its parsers. */
export type ErrorRule =
  | 'not-utf8'
  | 'several-explicit-mappings'
  | 'term-eliminated'
  | 'term-has-hole'
  | 'wordnet-line-too-short'
  | 'wordnet-missing-quotes';

/** Accepted by OpenSearch but probably not what the author meant. */
export type WarningRule =
  | 'byte-order-mark'
  | 'comment-not-in-column-0'
  | 'trailing-comment'
  | 'characters-dropped'
  | 'empty-arrow-side'
  | 'repeated-arrow'
  | 'trailing-backslash'
  | 'named-stopword-set'
  | 'stopword-with-space';

export interface Diagnostic<Rule extends string> {
  /** 1-based line number, as OpenSearch's log counts it. */
  line: number;
  rule: Rule;
  message: string;
}

export interface CheckResult {
  /** True when OpenSearch would accept the file with this chain. */
  ok: boolean;
  format: DictionaryFormat;
  errors: Diagnostic<ErrorRule>[];
  warnings: Diagnostic<WarningRule>[];
  /** Lines read, counted the way Java's readLine counts them. */
  lines: number;
}

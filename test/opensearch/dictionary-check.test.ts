import { describe, expect, it } from 'vitest';
import {
  analyze,
  checkDictionary,
  DEFAULT_CHAIN,
  type AnalyzerChain,
} from '../../src/dictionary-check/index.js';

// The checker's own contract (messages, lints, options); its agreement with OpenSearch is proved
// file by file against a real node in corpus.test.ts.
const bytes = (s: string) => new TextEncoder().encode(s);
const whitespace: AnalyzerChain = { tokenizer: 'whitespace', filters: [{ type: 'lowercase' }] };
const withStop: AnalyzerChain = {
  tokenizer: 'standard',
  filters: [{ type: 'lowercase' }, { type: 'stop', stopwords: ['_english_'] }],
};

describe('dictionary pre-flight check', () => {
  it('names the line and the rule of every refused line, not just the first', () => {
    const r = checkDictionary(bytes('ok, fine\na => b => c\n# fine\n, ,\nx => \n'), { format: 'solr' });
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => [e.line, e.rule])).toEqual([
      [2, 'several-explicit-mappings'],
      [4, 'term-eliminated'],
      [5, 'term-eliminated'],
    ]);
    expect(r.errors[0]!.message).toMatch(/^line 2: more than one "=>"/);
    expect(r.errors[2]!.message).toMatch(/right side is empty/);
  });

  it('depends on the analyzer chain it is given', () => {
    const file = bytes('++ => plus\n');
    expect(checkDictionary(file, { format: 'solr' }).ok).toBe(false);
    expect(checkDictionary(file, { format: 'solr', chain: whitespace }).ok).toBe(true);
    const stop = bytes('the cat => kitten\n');
    expect(checkDictionary(stop, { format: 'solr', chain: DEFAULT_CHAIN }).ok).toBe(true);
    expect(checkDictionary(stop, { format: 'solr', chain: withStop }).errors[0]?.rule).toBe('term-has-hole');
    expect(checkDictionary(stop, { format: 'solr', chain: withStop, lenient: true }).ok).toBe(true);
  });

  it('finds the line of bytes that are not UTF-8, comments included', () => {
    const r = checkDictionary(new Uint8Array([0x61, 0x0a, 0x23, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0a]), {
      format: 'solr',
    });
    expect(r.errors).toEqual([expect.objectContaining({ line: 2, rule: 'not-utf8' })]);
  });

  it('warns about what OpenSearch accepts but the author probably did not mean', () => {
    const rules = (s: string, format: 'solr' | 'wordlist' | 'wordnet' = 'solr') =>
      checkDictionary(bytes(s), { format }).warnings.map((w) => w.rule);
    expect(rules('ipod, i-pod # new spelling\n')).toContain('trailing-comment');
    expect(rules('c++ => cplusplus\n')).toEqual(['characters-dropped']);
    expect(rules('\uFEFF# comment\na, b\n')).toContain('byte-order-mark');
    expect(rules('a =>=> b\n')).toEqual(['repeated-arrow']);
    expect(rules('=> b\n')).toEqual(['empty-arrow-side']);
    expect(rules('the\n_english_\n', 'wordlist')).toEqual(['named-stopword-set']);
    expect(rules("\uFEFFs(100000001,1,'a',n,1,0).\n", 'wordnet')).toEqual(['byte-order-mark']);
    expect(rules('ipod, i-pod\nwi-fi => wifi\n')).toEqual([]);
  });

  it('reads WordNet lines as Lucene does: blank lines and % comments are refused', () => {
    const ok = "s(100000001,1,'o''clock',n,1,0).\ns(100000001,2,'hour',n,1,0).\n";
    expect(checkDictionary(bytes(ok), { format: 'wordnet' }).ok).toBe(true);
    expect(checkDictionary(bytes(`${ok}\n`), { format: 'wordnet' }).errors[0]).toMatchObject({
      line: 3,
      rule: 'wordnet-line-too-short',
    });
    expect(
      checkDictionary(bytes(`% synonyms of the shop\n${ok}`), { format: 'wordnet' }).errors[0],
    ).toMatchObject({ line: 1, rule: 'wordnet-missing-quotes' });
  });

  it('checks nothing for format none, and a stopword list only for its encoding', () => {
    expect(checkDictionary(new Uint8Array([0xff]), { format: 'none' }).ok).toBe(true);
    expect(checkDictionary(bytes('a => \n, ,\n'), { format: 'wordlist' }).ok).toBe(true);
    expect(checkDictionary(new Uint8Array([0xff]), { format: 'wordlist' }).ok).toBe(false);
  });

  it('tokenizes like the standard and whitespace tokenizers, with stop-word gaps', () => {
    expect(analyze('Wi-Fi C++ 東京', DEFAULT_CHAIN).map((t) => t.term)).toEqual([
      'wi',
      'fi',
      'c',
      '東',
      '京',
    ]);
    expect(analyze('Wi-Fi C++', whitespace).map((t) => t.term)).toEqual(['wi-fi', 'c++']);
    expect(analyze('the cat of', withStop)).toEqual([{ term: 'cat', positionIncrement: 2 }]);
  });
});

import { readFileSync, mkdirSync, copyFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  checkDictionary,
  DEFAULT_CHAIN,
  type AnalyzerChain,
  type DictionaryFormat,
} from '../../src/dictionary-check/index.js';

/**
 * The proof that the pre-flight check agrees with OpenSearch: every file of the corpus is installed
 * as the `synonyms_path` (or `stopwords_path`) of an index created on a real node, with the analyzer
 * chain the check is told about, and the node's verdict (index created, or 400) is compared with the
 * check's, file by file. Where the node's log names the line of a refused rule, so must the check.
 */
interface CorpusEntry {
  file: string;
  format: Exclude<DictionaryFormat, 'none'>;
  chain: 'standard' | 'whitespace' | 'stop';
  lenient?: boolean;
  expect: 'accepted' | 'refused';
  note: string;
}

const corpusDir = fileURLToPath(new URL('./corpus/', import.meta.url));
const corpus = JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as CorpusEntry[];
const endpoint = inject('opensearchEndpoint');
const configDir = inject('opensearchConfigDir');
const logFile = inject('opensearchLogFile');
const run = `corpus-${process.pid}`;

const CHAINS: Record<CorpusEntry['chain'], AnalyzerChain> = {
  standard: DEFAULT_CHAIN,
  whitespace: { tokenizer: 'whitespace', filters: [{ type: 'lowercase' }] },
  stop: {
    tokenizer: 'standard',
    filters: [{ type: 'lowercase' }, { type: 'stop', stopwords: ['_english_'] }],
  },
};

/** The same chain as index settings: tokenizer, lowercase, maybe stop, then the file's filter. */
function indexSettings(entry: CorpusEntry, path: string) {
  const dictionary =
    entry.format === 'wordlist'
      ? { type: 'stop', stopwords_path: path }
      : {
          type: 'synonym',
          synonyms_path: path,
          ...(entry.format === 'wordnet' ? { format: 'wordnet' } : {}),
          ...(entry.lenient ? { lenient: true } : {}),
        };
  return {
    settings: {
      number_of_shards: 1,
      number_of_replicas: 0,
      analysis: {
        filter: { stop_en: { type: 'stop', stopwords: '_english_' }, dictionary },
        analyzer: {
          checked: {
            type: 'custom',
            tokenizer: entry.chain === 'whitespace' ? 'whitespace' : 'standard',
            filter: ['lowercase', ...(entry.chain === 'stop' ? ['stop_en'] : []), 'dictionary'],
          },
        },
      },
    },
  };
}

function newLogText(from: number): { text: string; end: number } {
  const end = statSync(logFile).size;
  const buf = Buffer.alloc(end - from);
  const fd = openSync(logFile, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return { text: buf.toString('utf8'), end };
}

interface NodeVerdict {
  accepted: boolean;
  reason?: string;
  /** "Invalid synonym rule at line N" from the node's log, when Lucene names a line. */
  line?: number;
}

async function nodeVerdict(entry: CorpusEntry, index: string): Promise<NodeVerdict> {
  const rel = `${run}/${entry.file}`;
  mkdirSync(join(configDir, run), { recursive: true });
  copyFileSync(join(corpusDir, entry.file), join(configDir, rel));
  const logStart = statSync(logFile).size;
  const res = await fetch(`${endpoint}/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(indexSettings(entry, rel)),
  });
  const body = (await res.json()) as { acknowledged?: boolean; error?: { type: string; reason: string } };
  if (res.status === 200 && body.acknowledged) {
    await fetch(`${endpoint}/${index}`, { method: 'DELETE' });
    return { accepted: true };
  }
  // Anything but a 400 about the file itself would be a broken test, not a verdict.
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(body.error?.reason).toMatch(/Failed to build synonyms|files must be UTF-8 encoded/);
  const line = await refusedLine(index, logStart);
  return { accepted: false, reason: body.error!.reason, ...(line !== undefined ? { line } : {}) };
}

/**
 * The line Lucene names for this index's refused file: read from this index's own stretch of the
 * log (from its `onIndexModule index:[<index>/` line to the next index's), since other test files
 * create indexes on the same node at the same time and their refusals land in the log too.
 */
async function refusedLine(index: string, logStart: number): Promise<number | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const text = newLogText(logStart).text;
    const start = text.indexOf(`onIndexModule index:[${index}/`);
    if (start >= 0) {
      const rest = text.slice(start + 1);
      const next = rest.indexOf('onIndexModule index:[');
      const own = next >= 0 ? rest.slice(0, next) : rest;
      const line = /Invalid synonym rule at line (\d+)/.exec(own)?.[1];
      if (line) return Number(line);
      if (next >= 0) return undefined; // the next index began: Lucene named no line for this one
    }
    await new Promise((r) => setTimeout(r, 50)); // let the log lines land
  }
  return undefined;
}

const table: string[] = [];
afterAll(() => {
  process.stderr.write(`\nDictionary corpus, checker vs real OpenSearch node:\n${table.join('\n')}\n`);
});

describe('dictionary pre-flight check agrees with a real OpenSearch node', () => {
  it('has a corpus of at least 25 files, good and bad', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    expect(corpus.some((e) => e.expect === 'accepted')).toBe(true);
    expect(corpus.some((e) => e.expect === 'refused')).toBe(true);
  });

  corpus.forEach((entry, i) => {
    it(`${entry.file} (${entry.format}, ${entry.chain}${entry.lenient ? ', lenient' : ''}): ${entry.note}`, async () => {
      const node = await nodeVerdict(entry, `${run}-${i}`);
      const check = checkDictionary(readFileSync(join(corpusDir, entry.file)), {
        format: entry.format,
        chain: CHAINS[entry.chain],
        lenient: entry.lenient ?? false,
      });
      table.push(
        `  ${entry.file.padEnd(46)} node ${node.accepted ? 'accepted' : 'refused '}${node.line ? ` (line ${node.line})` : '         '}  check ${check.ok ? 'accepted' : `refused (line ${check.errors[0]?.line}: ${check.errors[0]?.rule})`}${check.warnings.length ? `  warnings: ${check.warnings.map((w) => w.rule).join(', ')}` : ''}`,
      );
      expect(check.ok, JSON.stringify(check.errors)).toBe(node.accepted);
      if (node.line !== undefined) expect(check.errors[0]?.line).toBe(node.line);
      // The manifest records what was observed, so a change in either side is noticed.
      expect(node.accepted ? 'accepted' : 'refused').toBe(entry.expect);
    });
  });
});

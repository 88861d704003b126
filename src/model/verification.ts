/**
 * Verified dictionary rollouts: what the input asks for (a pre-flight check of the file, then per
 * domain a refresh of the analyzers that read it and probes of what search now does) and what a
 * domain's outcome reports back. Declared once here (zod), shared by the CLI, the client, the
 * workflow and the JSON Schemas. A rollout without `preflight` / `verification` runs as before.
 */
import { z } from 'zod';
import { domainName } from './aws-rules.js';

export const dictionaryFormats = ['solr', 'wordnet', 'wordlist', 'none'] as const;

const chainFilter = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('lowercase') }).strict(),
    z
      .object({
        type: z.literal('stop'),
        stopwords: z.array(z.string().max(100)).max(1000),
        ignoreCase: z.boolean().optional(),
      })
      .strict(),
  ],
  { error: "must be { type: 'lowercase' } or { type: 'stop', stopwords }" },
);

/**
 * The analyzer chain in front of the synonym filter on the domains' indexes: OpenSearch runs each
 * rule through it, so whether a file is accepted depends on it (see docs/verification.md).
 */
export const analyzerChainInput = z
  .object({
    tokenizer: z.enum(['standard', 'whitespace']).default('standard'),
    filters: z
      .array(chainFilter)
      .max(20)
      .default([{ type: 'lowercase' }]),
  })
  .strict();

/** The pre-flight check of a TXT-DICTIONARY, run before anything is sent to AWS. */
export const preflightInput = z
  .object({
    /** solr / wordnet: read as `synonyms_path`; wordlist: `stopwords_path`; none: not checked. */
    format: z.enum(dictionaryFormats, { error: 'must be solr, wordnet, wordlist or none' }),
    chain: analyzerChainInput.default({ tokenizer: 'standard', filters: [{ type: 'lowercase' }] }),
    /** The synonym filter's `lenient` setting. */
    lenient: z.boolean().default(false),
  })
  .strict();
export type PreflightInput = z.output<typeof preflightInput>;

/** An `_analyze` request and the tokens it must give once the domain reads the new file. */
export const probeInput = z
  .object({
    index: z.string().min(1).max(255),
    analyzer: z.string().min(1).max(255).optional(),
    field: z.string().min(1).max(255).optional(),
    text: z.string().min(1).max(1000, 'must be at most 1000 characters'),
    expectedTokens: z.array(z.string().max(1000)).max(200),
    /**
     * The tokens with the previous content. Under the rollback policy, a domain put back to the
     * previous content runs the probes that have them again and must give exactly these.
     */
    previousTokens: z.array(z.string().max(1000)).max(200).optional(),
    /** Run on every domain, or only on the domains of the first wave (the canary). */
    on: z.enum(['every-domain', 'canary']).default('every-domain'),
  })
  .strict()
  .refine((p) => (p.analyzer === undefined) !== (p.field === undefined), {
    message: 'needs exactly one of analyzer or field',
  });
export type ProbeInput = z.output<typeof probeInput>;

export const verificationInput = z
  .object({
    /** Limits the indexes looked at (`GET /<pattern>/_settings`); all indexes when absent. */
    indexPattern: z
      .string()
      .min(1)
      .max(255)
      .refine((p) => !/[\s/?#]/.test(p), 'must be an index name or pattern (no spaces, /, ? or #)')
      .optional(),
    /**
     * Indexes that read the file in an index-time analyzer cannot be refreshed: `report` lists them
     * as needing a reindex; `close-open` closes and reopens each (unavailable meanwhile).
     */
    indexTimeUses: z.enum(['report', 'close-open']).default('report'),
    probes: z.array(probeInput).max(50).default([]),
    /** `_cluster/health` before and after: red fails the domain. */
    clusterHealth: z.boolean().default(true),
    /** A data-plane URL per domain instead of DescribeDomain's endpoint (custom endpoints). */
    endpoints: z
      .record(
        domainName,
        z
          .string()
          .max(2048)
          .refine(
            (u) => /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/.test(u),
            'must be an http(s) URL without credentials',
          ),
      )
      .default({}),
    /** Attempts per data-plane request when the domain does not answer (timeouts, 5xx, 429). */
    maxAttempts: z.number().int().min(1).max(50).default(8),
  })
  .strict();
export type VerificationInput = z.output<typeof verificationInput>;

// ---- what a domain reports ----------------------------------------------------------------

export const probeOutcome = z.object({
  index: z.string(),
  text: z.string(),
  passed: z.boolean(),
  expectedTokens: z.array(z.string()),
  actualTokens: z.array(z.string()),
});
export type ProbeOutcome = z.infer<typeof probeOutcome>;

export const domainVerification = z
  .object({
    status: z.enum(['passed', 'failed']),
    /** Which content the probes checked: the new one, or the previous one after a rollback. */
    content: z.enum(['new', 'previous']),
    endpoint: z.string().describe('the data-plane host the checks went to (no credentials)'),
    indexesRefreshed: z.array(z.string()),
    indexesReopened: z.array(z.string()),
    indexesNeedingReindex: z.array(z.string()),
    probesPassed: z.number().int(),
    probesFailed: z.number().int(),
    /** The failed probes, with expected and actual tokens (passed ones are only counted). */
    failedProbes: z.array(probeOutcome),
    clusterHealth: z.enum(['green', 'yellow', 'red']).optional(),
  })
  .describe('what the data plane showed after the domain went ACTIVE (verification input only)');
export type DomainVerification = z.infer<typeof domainVerification>;

export const verificationCounts = z.object({
  verified: z.number().int(),
  verificationFailed: z.number().int(),
  indexesRefreshed: z.number().int(),
  indexesNeedingReindex: z.number().int(),
  probesPassed: z.number().int(),
  probesFailed: z.number().int(),
});
export type VerificationCounts = z.infer<typeof verificationCounts>;

export function countVerifications(list: ReadonlyArray<DomainVerification | undefined>): VerificationCounts {
  const done = list.filter((v): v is DomainVerification => v !== undefined);
  const sum = (f: (v: DomainVerification) => number) => done.reduce((n, v) => n + f(v), 0);
  return {
    verified: done.filter((v) => v.status === 'passed').length,
    verificationFailed: done.filter((v) => v.status === 'failed').length,
    indexesRefreshed: sum((v) => v.indexesRefreshed.length + v.indexesReopened.length),
    indexesNeedingReindex: sum((v) => v.indexesNeedingReindex.length),
    probesPassed: sum((v) => v.probesPassed),
    probesFailed: sum((v) => v.probesFailed),
  };
}

/** One line of counts, for the Web UI details and the CLI. */
export function verificationLine(c: VerificationCounts): string {
  return `\nverified ${c.verified}, verification failed ${c.verificationFailed}; indexes refreshed ${c.indexesRefreshed}, needing reindex ${c.indexesNeedingReindex}; probes passed ${c.probesPassed}, failed ${c.probesFailed}`;
}

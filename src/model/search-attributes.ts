import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every run keeps current, so the Web UI's list view can filter, e.g.
 * `RolloutKind = "dictionaryRollout" AND RolloutTarget = "synonyms-en" AND RolloutStatus = "failed"`.
 * The dev server registers them at start (see src/temporal/dev-server.ts); production namespaces
 * create them once with `temporal operator search-attribute create` (README).
 */
export const RolloutKind = defineSearchAttributeKey('RolloutKind', SearchAttributeType.KEYWORD);
export const RolloutTarget = defineSearchAttributeKey('RolloutTarget', SearchAttributeType.KEYWORD);
export const RolloutStatus = defineSearchAttributeKey('RolloutStatus', SearchAttributeType.KEYWORD);
export const RolloutDomains = defineSearchAttributeKey('RolloutDomains', SearchAttributeType.KEYWORD_LIST);
export const RolloutFailedDomains = defineSearchAttributeKey('RolloutFailedDomains', SearchAttributeType.INT);
export const RolloutTargetVersion = defineSearchAttributeKey(
  'RolloutTargetVersion',
  SearchAttributeType.KEYWORD,
);

/** Fleets: the Regions a rollout's domains are in (set by the workflow; plain names add none). */
export const RolloutRegions = defineSearchAttributeKey('RolloutRegions', SearchAttributeType.KEYWORD_LIST);

export const ALL_SEARCH_ATTRIBUTES = [
  RolloutKind,
  RolloutTarget,
  RolloutStatus,
  RolloutDomains,
  RolloutFailedDomains,
  RolloutTargetVersion,
  RolloutRegions,
] as const;

/** Name -> CLI type name, for `temporal server start-dev --search-attribute Name=Type`. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: Record<string, 'Keyword' | 'KeywordList' | 'Int'> = {
  RolloutKind: 'Keyword',
  RolloutTarget: 'Keyword',
  RolloutStatus: 'Keyword',
  RolloutDomains: 'KeywordList',
  RolloutFailedDomains: 'Int',
  RolloutTargetVersion: 'Keyword',
  RolloutRegions: 'KeywordList',
};

export const RolloutStatuses = [
  'running',
  'waiting-for-approval',
  'paused',
  'succeeded',
  'unchanged',
  'partial',
  'failed',
  'rolled-back',
  'cancelled',
] as const;
export type RolloutStatusValue = (typeof RolloutStatuses)[number];

/**
 * Temporal limits one search attribute value to 2 KB by default (dynamic config
 * `limit.searchAttributeValueSize`), and a start with a larger value is refused. RolloutDomains
 * is set only when the whole list fits: a truncated list would make a domain filter silently miss
 * rollouts. Larger fleets are found by RolloutTarget instead; their domains are in the details.
 */
export const DOMAINS_SEARCH_ATTRIBUTE_MAX_BYTES = 1900;
export function domainsSearchAttribute(domains: readonly string[]): string[] | undefined {
  return new TextEncoder().encode(JSON.stringify(domains)).length <= DOMAINS_SEARCH_ATTRIBUTE_MAX_BYTES
    ? [...domains]
    : undefined;
}

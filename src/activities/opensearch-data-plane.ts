/**
 * OpenSearch data-plane activities: what a domain's analyzers read, reloading them, reopening an
 * index, an `_analyze` probe, cluster health. One HTTP request per activity through
 * `@opensearch-project/opensearch` (SigV4, service `es`, AWS default credential chain), with the
 * client's own retries off so Temporal owns retrying. Nothing from documents leaves an activity:
 * results hold index and analyzer names, counts and probe tokens only.
 */
import { Client, errors } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import { ApplicationFailure } from '@temporalio/common';
import type { OpenSearchClient } from '@aws-sdk/client-opensearch';
import { FailureTypes } from '../model/failures.js';
import type { Place } from '../model/place.js';
import { awsClientsAt, type ActivityDeps } from './deps.js';

/** The data plane's failure types, as this file names them (declared once, in src/model/failures.ts). */
export const DataPlaneFailureTypes = {
  Unreachable: FailureTypes.DataPlaneUnreachable,
  AccessDenied: FailureTypes.DataPlaneAccessDenied,
  IndexNotFound: FailureTypes.DataPlaneIndexNotFound,
  RequestRejected: FailureTypes.DataPlaneRequestRejected,
  RefreshFailed: FailureTypes.AnalyzerRefreshFailed,
  ReopenFailed: FailureTypes.IndexReopenFailed,
} as const;

/** A domain's data plane: DescribeDomain's `Endpoint` (or `Endpoints.vpc`), or an override URL. */
export interface DataPlaneTarget {
  /** A host name (https is assumed) or a full URL. */
  endpoint: string;
  /** Region to sign for; the clients' default when absent. */
  region?: string;
  /**
   * A domain in another account (fleet rollouts): requests are signed with the credentials of
   * the place's assumed role, the ones its control-plane calls use, not the worker's own.
   */
  place?: Place;
}

/** What signs a request: an AWS credential provider, as the place's SDK clients hold it. */
export type DataPlaneCredentials = OpenSearchClient['config']['credentials'];

export interface DataPlaneDeps {
  /** A client for the target, signing with `credentials` when given (else the default chain). */
  clientFor(target: DataPlaneTarget, credentials?: DataPlaneCredentials): Client;
  /**
   * How long `clusterHealth` lets the domain reach yellow before it reports red [2/3 of the
   * request timeout, at most 20 s]: a cluster is red for a moment whenever an index opens (its
   * primaries initialize), which another rollout's close/open refresh or a user does at any time.
   */
  healthWaitMs?: number;
}

export interface DataPlaneClientOptions {
  /** `sigv4` for Amazon OpenSearch Service; `none` for a local node (tests, the demo). */
  signing: 'sigv4' | 'none';
  region?: string;
  /** Per request [30 s]; a domain that does not answer by then fails the attempt (retried). */
  requestTimeoutMs?: number;
}

/** One client per endpoint, reused across activities. */
export function createDataPlaneClients(options: DataPlaneClientOptions): DataPlaneDeps {
  const clients = new Map<string, Client>();
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  // A place's credential provider is replaced when its session ends early (src/aws/places.ts):
  // its clients are kept with it, so a new session gets new signers and the old ones go with it.
  const clientsByProvider = new WeakMap<DataPlaneCredentials, Map<string, Client>>();
  const cacheFor = (credentials: DataPlaneCredentials | undefined) => {
    if (!credentials) return clients;
    let cache = clientsByProvider.get(credentials);
    if (!cache) clientsByProvider.set(credentials, (cache = new Map()));
    return cache;
  };
  return {
    // Shorter than the request: the domain's own timed-out answer (red) arrives before ours.
    healthWaitMs: Math.min(20_000, Math.floor((requestTimeoutMs * 2) / 3)),
    clientFor(target, credentials) {
      const node = /^https?:\/\//.test(target.endpoint) ? target.endpoint : `https://${target.endpoint}`;
      const region =
        target.place?.region ?? target.region ?? options.region ?? process.env.AWS_REGION ?? 'us-east-1';
      const key = `${node} ${region}`;
      const cache = cacheFor(credentials);
      let client = cache.get(key);
      if (!client) {
        client = new Client({
          node,
          maxRetries: 0,
          requestTimeout: requestTimeoutMs,
          ...(options.signing === 'sigv4'
            ? AwsSigv4Signer({
                region,
                service: 'es',
                ...(credentials ? { getCredentials: credentials } : {}),
              })
            : {}),
        });
        cache.set(key, client);
      }
      return client;
    },
  };
}

/** A component of an index's analysis settings that reads a file. */
export interface FileUse {
  index: string;
  /** The filter, char_filter or tokenizer whose `*_path` setting names the file. */
  component: string;
  /** Custom analyzers that use the component. */
  analyzers: string[];
  /** `updateable: true`: search-time only, reloadable with `_refresh_search_analyzers`. */
  updateable: boolean;
}

export interface IndexesUsingFile {
  /** Indexes whose every use of the file is search-time (`updateable`): refresh them. */
  searchTime: string[];
  /** Indexes with an index-time use: they read the file only when opened (close/open or reindex). */
  indexTime: string[];
  uses: FileUse[];
}

type Settings = Record<string, unknown>;
const asRecord = (v: unknown): Settings => (v && typeof v === 'object' ? (v as Settings) : {});
const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').map((s) => s.trim()) : [];

/** Settings keys through which analysis components read a file (synonyms_path, stopwords_path, ...). */
const readsFile = (key: string) => key.endsWith('_path') || key === 'user_dictionary';

/** Finds the analysis components of one index that read `referencePath` and the analyzers using them. */
export function fileUsesIn(index: string, indexSettings: unknown, referencePath: string): FileUse[] {
  const analysis = asRecord(asRecord(asRecord(asRecord(indexSettings).settings).index).analysis);
  const analyzers = asRecord(analysis.analyzer);
  const uses: FileUse[] = [];
  const sections = [
    ['filter', 'filter'],
    ['char_filter', 'char_filter'],
    ['tokenizer', 'tokenizer'],
  ] as const;
  for (const [section, analyzerKey] of sections) {
    for (const [name, raw] of Object.entries(asRecord(analysis[section]))) {
      const component = asRecord(raw);
      if (!Object.entries(component).some(([k, v]) => readsFile(k) && v === referencePath)) continue;
      const usedBy = Object.entries(analyzers)
        .filter(([, a]) => asList(asRecord(a)[analyzerKey]).includes(name))
        .map(([analyzer]) => analyzer);
      // A component no analyzer uses is never built: the file does not matter to that index.
      if (usedBy.length === 0) continue;
      uses.push({
        index,
        component: name,
        analyzers: usedBy,
        updateable: String(component.updateable) === 'true',
      });
    }
  }
  return uses;
}

const isStatus = (err: unknown): number | undefined =>
  err instanceof errors.ResponseError ? (err.meta.statusCode ?? undefined) : undefined;

function reasonOf(err: unknown): { type?: string; reason?: string } {
  if (!(err instanceof errors.ResponseError)) return {};
  const body = asRecord(err.meta.body);
  // AWS's own refusals (403 from the access policy) answer {"Message": "User: ... is not authorized ..."}.
  const awsMessage = typeof body.Message === 'string' ? body.Message : body.message;
  if (typeof awsMessage === 'string') return { reason: awsMessage.slice(0, 500) };
  const error = asRecord(body.error);
  const cause = asRecord(asRecord(Array.isArray(error.root_cause) ? error.root_cause[0] : undefined));
  return {
    type: typeof error.type === 'string' ? error.type : undefined,
    reason: [error.reason, cause.reason !== error.reason ? cause.reason : undefined]
      .filter((r): r is string => typeof r === 'string')
      .join(': ')
      .slice(0, 500),
  };
}

/**
 * Maps a data-plane error the way aws-errors.ts maps AWS's: what retrying can fix (no answer,
 * 429, 5xx) is retryable; a refusal (403, 404, other 4xx) fails for good with a message that says
 * what to fix.
 */
export function toDataPlaneFailure(
  err: unknown,
  operation: string,
  target: DataPlaneTarget,
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const host = target.endpoint.replace(/^https?:\/\//, '');
  const status = isStatus(err);
  const { type, reason } = reasonOf(err);
  const details = [
    {
      operation,
      endpoint: host,
      ...(status ? { httpStatus: status } : {}),
      ...(type ? { errorType: type } : {}),
    },
  ];
  const fail = (failureType: string, message: string, nonRetryable: boolean) =>
    ApplicationFailure.create({
      type: failureType,
      message: `${operation} on ${host}: ${message}`,
      details,
      nonRetryable,
    });
  if (status === undefined) {
    const what =
      err instanceof errors.TimeoutError
        ? 'no answer before the request timeout'
        : err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError
          ? `cannot connect (${(err as Error).message})`
          : `request failed before an answer (${String((err as Error)?.message ?? err)})`;
    return fail(
      DataPlaneFailureTypes.Unreachable,
      `${what}; check the endpoint and that the worker can reach the domain (a VPC domain needs a worker inside its VPC)`,
      false,
    );
  }
  if (status === 401 || status === 403)
    return fail(
      DataPlaneFailureTypes.AccessDenied,
      `HTTP ${status}${reason ? ` (${reason})` : ''}: the worker's IAM role is probably missing from the domain access policy (or, with fine-grained access control, not mapped to a role allowed to do this)`,
      true,
    );
  if (status === 429 || status >= 500)
    return fail(DataPlaneFailureTypes.Unreachable, `HTTP ${status}${reason ? ` (${reason})` : ''}`, false);
  if (status === 404 && type === 'index_not_found_exception')
    return fail(DataPlaneFailureTypes.IndexNotFound, `no such index (${reason})`, true);
  return fail(
    DataPlaneFailureTypes.RequestRejected,
    `HTTP ${status}${type ? ` ${type}` : ''}${reason ? `: ${reason}` : ''}`,
    true,
  );
}

export interface RefreshResult {
  shards: { total: number; successful: number; failed: number };
  refreshed: { index: string; analyzers: string[] }[];
}

export interface ClusterHealth {
  status: 'green' | 'yellow' | 'red';
  unassignedShards: number;
  /** Shards still starting when the answer came (only when some are). */
  initializingShards?: number;
  /** Present when the domain did not reach yellow within the wait: how long it was given. */
  waitedMs?: number;
}

export interface ProbeResult {
  tokens: string[];
}

/**
 * @param awsForPlace the worker's clients per place: a target in another account is signed with its
 *   place's assumed-role credentials (a role that cannot be assumed fails as PlaceUnreachable,
 *   as the place's control-plane calls do).
 */
export function createOpenSearchDataPlaneActivities(
  deps: DataPlaneDeps,
  awsForPlace?: ActivityDeps['awsForPlace'],
) {
  async function clientOf(target: DataPlaneTarget): Promise<Client> {
    if (!target.place?.roleArn) return deps.clientFor(target);
    const { opensearch } = await awsClientsAt(awsForPlace, target.place);
    return deps.clientFor(target, opensearch.config.credentials);
  }

  async function call<T>(
    operation: string,
    target: DataPlaneTarget,
    request: (client: Client) => Promise<{ body: T }>,
  ) {
    try {
      return (await request(await clientOf(target))).body;
    } catch (err) {
      throw toDataPlaneFailure(err, operation, target);
    }
  }

  return {
    /**
     * Indexes (open or closed, optionally limited by a pattern) whose analyzers read the file at
     * `referencePath` (a package's ReferencePath, `analyzers/F123`), split by how they can take a
     * new version of it. One `GET /<pattern>/_settings`.
     */
    async findIndexesUsingFile(
      input: DataPlaneTarget & { referencePath: string; indexPattern?: string },
    ): Promise<IndexesUsingFile> {
      const body = await call('GetIndexSettings', input, (c) =>
        c.indices.getSettings({
          index: input.indexPattern ?? '_all',
          filter_path: '*.settings.index.analysis',
          expand_wildcards: 'all',
          allow_no_indices: true,
          ignore_unavailable: true,
        }),
      );
      const uses = Object.entries(asRecord(body)).flatMap(([index, settings]) =>
        fileUsesIn(index, settings, input.referencePath),
      );
      const indexTime = [...new Set(uses.filter((u) => !u.updateable).map((u) => u.index))].sort();
      const searchTime = [...new Set(uses.map((u) => u.index))].filter((i) => !indexTime.includes(i)).sort();
      return { searchTime, indexTime, uses };
    },

    /**
     * Reloads the search-time analyzers of these indexes (`POST /_plugins/_refresh_search_analyzers`)
     * and checks the answer: no failed shard, every index among the refreshed.
     */
    async refreshSearchAnalyzers(input: DataPlaneTarget & { indexes: string[] }): Promise<RefreshResult> {
      if (input.indexes.length === 0)
        return { shards: { total: 0, successful: 0, failed: 0 }, refreshed: [] };
      const body = asRecord(
        await call('RefreshSearchAnalyzers', input, (c) =>
          c.ism.refreshSearchAnalyzers({ index: input.indexes.join(',') }),
        ),
      );
      const shards = asRecord(body._shards);
      const result: RefreshResult = {
        shards: {
          total: Number(shards.total ?? 0),
          successful: Number(shards.successful ?? 0),
          failed: Number(shards.failed ?? 0),
        },
        refreshed: (Array.isArray(body.successful_refresh_details)
          ? body.successful_refresh_details
          : []
        ).map((d) => ({
          index: String(asRecord(d).index),
          analyzers: asList(asRecord(d).refreshed_analyzers),
        })),
      };
      const missing = input.indexes.filter((i) => !result.refreshed.some((r) => r.index === i));
      if (result.shards.failed > 0 || missing.length > 0) {
        const reasons = (Array.isArray(shards.failures) ? shards.failures : [])
          .map((f) =>
            `${String(asRecord(f).index)}: ${String(asRecord(asRecord(f).reason).reason ?? asRecord(f).reason)}`.slice(
              0,
              300,
            ),
          )
          .slice(0, 5);
        throw ApplicationFailure.create({
          type: DataPlaneFailureTypes.RefreshFailed,
          message: `RefreshSearchAnalyzers: ${result.shards.failed} of ${result.shards.total} shards failed; not refreshed: ${missing.join(', ') || 'none'}${reasons.length ? ` (${reasons.join('; ')})` : ''}. The old analyzers stay in use: check the file parses with these indexes' analyzer chains`,
          details: [result],
          nonRetryable: true,
        });
      }
      return result;
    },

    /** `POST /<index>/_close`: the index is unavailable until `openIndex`. */
    async closeIndex(input: DataPlaneTarget & { index: string }): Promise<void> {
      await call('CloseIndex', input, (c) => c.indices.close({ index: input.index }));
    },

    /** `POST /<index>/_open`: rebuilds every analyzer of the index, reading its files anew. */
    async openIndex(input: DataPlaneTarget & { index: string }): Promise<void> {
      try {
        await (await clientOf(input)).indices.open({ index: input.index, wait_for_active_shards: 1 });
      } catch (err) {
        const { reason } = reasonOf(err);
        if (isStatus(err) === 500 && /Failed to verify index/.test(reason ?? ''))
          throw ApplicationFailure.create({
            type: DataPlaneFailureTypes.ReopenFailed,
            message: `OpenIndex ${input.index}: OpenSearch cannot build its analyzers (${reason}); the index stays closed until the file is fixed and the index opened again`,
            details: [{ operation: 'OpenIndex', index: input.index }],
            nonRetryable: true,
          });
        throw toDataPlaneFailure(err, 'OpenIndex', input);
      }
    },

    /** `POST /<index>/_analyze` with an analyzer or a field: the tokens, nothing else. */
    async analyzeProbe(
      input: DataPlaneTarget & { index: string; text: string; analyzer?: string; field?: string },
    ): Promise<ProbeResult> {
      const body = asRecord(
        await call('Analyze', input, (c) =>
          c.indices.analyze({
            index: input.index,
            body: {
              text: input.text,
              ...(input.analyzer ? { analyzer: input.analyzer } : {}),
              ...(input.field ? { field: input.field } : {}),
            },
          }),
        ),
      );
      const tokens = Array.isArray(body.tokens) ? body.tokens.map((t) => String(asRecord(t).token)) : [];
      return { tokens };
    },

    /**
     * `GET /_cluster/health?wait_for_status=yellow`: the status and shard counts once the domain
     * is yellow or better, or as they stand when the wait ends. Red is reported only when it
     * outlasts the wait: primaries that are initializing (an index being opened) are red for a
     * moment on every healthy domain. The domain answers a wait that ended red with HTTP 408 and
     * the same body, which is an answer here, not an error.
     */
    async clusterHealth(input: DataPlaneTarget): Promise<ClusterHealth> {
      const waitMs = deps.healthWaitMs ?? 20_000;
      const body = asRecord(
        await call('ClusterHealth', input, (c) =>
          c.cluster.health({ wait_for_status: 'yellow', timeout: `${waitMs}ms` }, { ignore: [408] }),
        ),
      );
      return {
        status: String(body.status) as ClusterHealth['status'],
        unassignedShards: Number(body.unassigned_shards ?? 0),
        ...(Number(body.initializing_shards ?? 0) > 0
          ? { initializingShards: Number(body.initializing_shards) }
          : {}),
        ...(body.timed_out === true ? { waitedMs: waitMs } : {}),
      };
    },
  };
}

export type OpenSearchDataPlaneActivities = ReturnType<typeof createOpenSearchDataPlaneActivities>;

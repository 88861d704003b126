/**
 * The worker's AWS clients for other Regions and accounts (fleet rollouts): one set per (Region,
 * role, external id), built on first use and cached for the worker's life.
 *
 * - A place without a role: the worker's own credentials (or the default chain) in that Region.
 * - A place with a role: credentials from STS AssumeRole (`fromTemporaryCredentials` of
 *   `@aws-sdk/credential-providers`), with the role's external id when given and a stable,
 *   recognisable RoleSessionName (`package-rollouts-<worker identity>`, what CloudTrail shows).
 *   One provider per place is shared by all of the place's clients, so a place costs one
 *   AssumeRole however many clients and calls use it, and one more each time the session nears its
 *   end (refreshed REFRESH_BEFORE_EXPIRY_MS before its Expiration, as the SDK's clients ask).
 * - The role is assumed once when the place's clients are first built, so a role that cannot be
 *   assumed fails `awsClientsFor` for that place's targets only, as ApplicationFailure type
 *   PlaceUnreachable naming the role and STS's answer: non-retryable when STS refused
 *   (AccessDenied, a validation error), retryable for throttling, 5xx and network failures. A
 *   refusal is remembered for FAILURE_TTL_MS so a thousand domains of one place do not each ask
 *   STS again; a retryable failure is not remembered.
 * - The place's clients are built by clients.ts (its timeouts, tracing and endpoint settings); the
 *   STS client the provider makes gets the same timeouts and endpoint, and with tracing on its
 *   AssumeRole calls are spans like every other AWS call (the provider applies its client plugins
 *   on every call; the tracing middleware is added by name with override, so it is there once).
 *   The SDK's endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, including
 *   _STS) apply to every place; with the emulator one endpoint serves all places.
 *
 * Credentials live only in these clients: nothing here returns them, logs them or puts them in a
 * failure (STS's message names the caller's ARN and the role, never a key).
 */
import { hostname } from 'node:os';
import type { OpenSearchClientConfig } from '@aws-sdk/client-opensearch';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ApplicationFailure } from '@temporalio/common';
import { awsErrorDetails, isRetryableAwsError } from '../activities/aws-errors.js';
import { isThrottlingCode, jitteredRetryDelayMs } from '../activities/throttle-backoff.js';
import { FailureTypes } from '../model/failures.js';
import type { Place } from '../model/place.js';
import { instrumentAwsClients, type InstrumentableClient } from '../tracing/aws-clients.js';
import { awsTimeoutsFromEnv, createAwsClients, destroyAwsClients, type AwsClients } from './clients.js';

type Credentials = NonNullable<OpenSearchClientConfig['credentials']>;
type Identity = Awaited<ReturnType<Extract<Credentials, (...args: never[]) => unknown>>>;

/** As the SDK's clients do: a session within 5 minutes of its end is renewed before use. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
/** How long a role STS refused stays refused without asking again. */
export const FAILURE_TTL_MS = 30_000;
/** STS's default; the role's MaxSessionDuration may allow more. */
const DEFAULT_DURATION_S = 3_600;

/** STS answers that asking again cannot change (the role's trust policy or the request is wrong). */
const REFUSALS = new Set([
  'AccessDenied',
  'ValidationError',
  'RegionDisabledException',
  'MalformedPolicyDocumentException',
  'PackedPolicyTooLargeException',
  'CredentialsProviderError',
]);

export interface PlaceClientOptions {
  /** One endpoint for every service and place (the emulator); otherwise the SDK resolves endpoints. */
  endpoint?: string;
  /** The worker's own credentials (what assumes the roles); otherwise the SDK's default chain. */
  credentials?: Credentials;
  maxAttempts?: number;
  /** The worker's identity, in every role session's name [`<pid>@<host>`, Temporal's default]. */
  identity?: string;
  /** AssumeRole's DurationSeconds [3600]. */
  durationSeconds?: number;
  env?: NodeJS.ProcessEnv;
  /** Wall clock (tests). */
  now?: () => number;
}

export interface PlaceClients {
  /** The worker identity the role sessions are named after (pass it to the Temporal worker too). */
  readonly identity: string;
  /** The place's clients, built and cached on first use; rejects with PlaceUnreachable. */
  clientsFor(place: Place): Promise<AwsClients>;
  /** How many client sets were built (one per place, plus one per session that ended early). */
  size(): number;
  /** Destroys every cached client (worker shutdown). */
  destroy(): void;
}

interface Entry {
  clients: Promise<AwsClients>;
  /** When a remembered refusal is forgotten; undefined while building or built. */
  failedUntil?: number;
}

/** A client plugin: the tracing middleware on the STS client a role's credential provider builds. */
const tracedStsClient = {
  applyToStack(stack: InstrumentableClient['middlewareStack']) {
    instrumentAwsClients({ sts: { middlewareStack: stack } });
  },
};

export function defaultWorkerIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

/** `package-rollouts-<identity>` in STS's alphabet ([\w+=,.@-]) and length (2-64). */
export function roleSessionName(identity: string): string {
  return `package-rollouts-${identity}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export function createPlaceClients(options: PlaceClientOptions = {}): PlaceClients {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => Date.now());
  const identity = options.identity ?? defaultWorkerIdentity();
  const sessionName = roleSessionName(identity);
  const cache = new Map<string, Entry>();
  const built: AwsClients[] = [];

  const build = async (place: Place, forget: () => void): Promise<AwsClients> => {
    let credentials = options.credentials;
    if (place.roleArn) {
      const provider = sharedSession(
        fromTemporaryCredentials({
          params: {
            RoleArn: place.roleArn,
            RoleSessionName: sessionName,
            DurationSeconds: options.durationSeconds ?? DEFAULT_DURATION_S,
            ...(place.externalId !== undefined ? { ExternalId: place.externalId } : {}),
          },
          ...(options.credentials ? { masterCredentials: options.credentials } : {}),
          clientConfig: {
            // The place's regional STS endpoint (AWS's recommendation), unless an endpoint is given.
            region: place.region,
            ...(options.endpoint ? { endpoint: options.endpoint } : {}),
            ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
            requestHandler: awsTimeoutsFromEnv(env),
          },
          clientPlugins: [tracedStsClient],
        }),
        now,
      );
      try {
        await provider();
      } catch (err) {
        throw unreachable(place, err);
      }
      credentials = provider;
    }
    const clients = createAwsClients(
      {
        region: place.region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(credentials ? { credentials } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      },
      env,
    );
    if (place.roleArn) forgetOnExpiredSession(clients, forget);
    built.push(clients);
    return clients;
  };

  return {
    identity,
    clientsFor(place) {
      const key = [place.region, place.roleArn ?? '', place.externalId ?? ''].join('\n');
      const cached = cache.get(key);
      if (cached && (cached.failedUntil === undefined || cached.failedUntil > now())) return cached.clients;
      // The SDK's clients keep a session's keys until its Expiration; a session ended before that
      // (revoked, say) is only left behind by building the place's clients anew.
      const forget = () => {
        if (cache.get(key) === entry) cache.delete(key);
      };
      const entry: Entry = { clients: build(place, forget) };
      cache.set(key, entry);
      entry.clients.catch((err: unknown) => {
        // A refusal is remembered for a while; anything retrying can fix is asked again at once.
        if (err instanceof ApplicationFailure && err.nonRetryable) entry.failedUntil = now() + FAILURE_TTL_MS;
        else if (cache.get(key) === entry) cache.delete(key);
      });
      return entry.clients;
    },
    size() {
      return built.length;
    },
    destroy() {
      for (const clients of built.splice(0)) destroyAwsClients(clients);
      cache.clear();
    },
  };
}

/**
 * One session shared by every client of a place: the current credentials until they are within
 * REFRESH_BEFORE_EXPIRY_MS of their Expiration, then one AssumeRole for all who ask meanwhile.
 */
function sharedSession(assume: () => Promise<Identity>, now: () => number): () => Promise<Identity> {
  let current: Identity | undefined;
  let pending: Promise<Identity> | undefined;
  return () => {
    const expiration = current?.expiration?.getTime();
    if (current && (expiration === undefined || expiration - now() > REFRESH_BEFORE_EXPIRY_MS))
      return Promise.resolve(current);
    pending ??= assume().then(
      (identity) => {
        current = identity;
        pending = undefined;
        return identity;
      },
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    );
    return pending;
  };
}

/** AWS's answers to a session that ended before its Expiration said (revoked, clock skew, ...). */
export const EXPIRED_SESSION_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

/**
 * A session can end before its Expiration (revoked, the role's sessions cut off, clock skew).
 * Without this the place's clients would sign with dead keys until their renewal window; with it,
 * the failed call's activity retry (expired-session answers are retryable, aws-errors.ts) gets
 * the place's clients built anew, with a new AssumeRole. The old clients are destroyed at shutdown.
 */
function forgetOnExpiredSession(clients: AwsClients, forget: () => void): void {
  for (const client of Object.values(clients) as { middlewareStack: AwsClients['s3']['middlewareStack'] }[])
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (err) {
          if (EXPIRED_SESSION_CODES.has((err as { name?: string }).name ?? '')) forget();
          throw err;
        }
      },
      { step: 'initialize', name: 'forgetExpiredPlaceSession' },
    );
}

/** PlaceUnreachable naming the role and STS's answer; retryable unless STS refused. */
function unreachable(place: Place, err: unknown): ApplicationFailure {
  const details = awsErrorDetails(err, { service: 'sts', operation: 'AssumeRole' });
  const refused =
    REFUSALS.has(details.code) || (!isRetryableAwsError(err) && details.httpStatus !== undefined);
  const delay = !refused && isThrottlingCode(details.code) ? jitteredRetryDelayMs() : undefined;
  return ApplicationFailure.create({
    message: `cannot assume role ${place.roleArn!} for ${place.region}: ${details.code}: ${details.message}`,
    type: FailureTypes.PlaceUnreachable,
    nonRetryable: refused,
    details: [details],
    ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
  });
}

/**
 * Bucket policies, as far as cross-account access needs them: PutBucketPolicy checks a document
 * the way S3 refuses one (MalformedPolicy), and each request to another account's bucket is
 * allowed only when the owner's policy allows it. The caller's own IAM policies are taken to allow
 * everything (the emulator keeps none), so a request in the owner's account is refused only by an
 * explicit Deny, and one from another account needs an Allow and no Deny, as on AWS.
 *
 * Principals: "*", an account id or `arn:aws:iam::<account>:root` (every principal of that
 * account), a role `arn:aws:iam::<account>:role/<name>` (its sessions) or an assumed-role session
 * ARN. Actions and resources match with `*` and `?`. A statement with a Condition is kept but not
 * evaluated: it neither allows nor denies here (docs/emulator.md).
 */
import { AwsError } from './errors.js';

/** Who asks: the account, and the role whose session signed (when one did). */
export interface PolicyCaller {
  account: string;
  /** The caller's ARN as STS names it (`arn:aws:sts::<account>:assumed-role/<role>/<session>`). */
  arn?: string;
  roleArn?: string;
}

interface Statement {
  effect: 'Allow' | 'Deny';
  principals: string[];
  /** The statement's actions and resources as patterns, compiled once when the policy is put. */
  actions: RegExp[];
  resources: RegExp[];
  conditional: boolean;
}

export interface ParsedPolicy {
  /** The document as given: GetBucketPolicy returns it as it was put. */
  text: string;
  statements: Statement[];
}

const ACCOUNT = /^\d{12}$/;
const IAM_ARN = /^arn:aws:iam::(\d{12}):(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;
const SESSION_ARN = /^arn:aws:sts::(\d{12}):assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+$/;

function malformed(message: string): AwsError {
  return new AwsError('MalformedPolicy', 400, message);
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function strings(value: unknown, field: string): string[] {
  const out = list(value);
  if (value === undefined || out.length === 0 || out.some((v) => typeof v !== 'string' || v === ''))
    throw malformed(field === 'Action' ? 'Policy has invalid action' : `Missing required field ${field}`);
  return out as string[];
}

function principalsOf(value: unknown): string[] {
  if (value === '*') return ['*'];
  if (value === undefined) throw malformed('Missing required field Principal');
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed('Invalid principal in policy');
  const out: string[] = [];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw malformed('Invalid principal in policy');
  for (const [kind, ids] of entries) {
    if (list(ids).length === 0) throw malformed('Invalid principal in policy');
    // Service and federated principals are valid; no request to the emulator is made by one.
    if (kind === 'Service' || kind === 'Federated' || kind === 'CanonicalUser') continue;
    if (kind !== 'AWS') throw malformed('Invalid principal in policy');
    for (const id of list(ids)) {
      if (
        typeof id !== 'string' ||
        !(id === '*' || ACCOUNT.test(id) || IAM_ARN.test(id) || SESSION_ARN.test(id))
      )
        throw malformed('Invalid principal in policy');
      out.push(id);
    }
  }
  return out;
}

/** Parses a PutBucketPolicy body, refusing what S3 refuses (as MalformedPolicy). */
export function parseBucketPolicy(text: string, bucket: string): ParsedPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw malformed("Policies must be valid JSON and the first byte must be '{'");
  const raw = (doc as { Statement?: unknown }).Statement;
  if (raw === undefined) throw malformed('Missing required field Statement');
  const statements = list(raw).map((s): Statement => {
    if (typeof s !== 'object' || s === null) throw malformed('Missing required field Effect');
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny')
      throw malformed('Invalid effect: ' + String(st.Effect));
    if (st.NotPrincipal !== undefined || st.NotAction !== undefined || st.NotResource !== undefined)
      throw new AwsError(
        'NotImplemented',
        501,
        'NotPrincipal, NotAction and NotResource are not implemented by the emulator',
      );
    const actions = strings(st.Action, 'Action');
    if (actions.some((a) => a !== '*' && !/^s3:[\w*?]+$/i.test(a)))
      throw malformed('Policy has invalid action');
    const resources = strings(st.Resource, 'Resource');
    // Every resource must be this bucket or its objects.
    const own = new RegExp(`^arn:aws:s3:::${bucket.replace(/\./g, '\\.')}(/.*)?$`);
    if (resources.some((r) => !own.test(r))) throw malformed('Policy has invalid resource');
    return {
      effect: st.Effect,
      principals: principalsOf(st.Principal),
      actions: actions.map((a) => wildcard(a === '*' ? 's3:*' : a, true)),
      resources: resources.map((r) => wildcard(r)),
      conditional: st.Condition !== undefined,
    };
  });
  return { text, statements };
}

/** `*` and `?` wildcards, as IAM matches actions (case-insensitively) and resources. */
function wildcard(pattern: string, ignoreCase = false): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
}

function namesCaller(principal: string, caller: PolicyCaller): boolean {
  if (principal === '*') return true;
  if (principal === caller.account || principal === `arn:aws:iam::${caller.account}:root`) return true;
  return principal === caller.roleArn || principal === caller.arn;
}

function applies(s: Statement, caller: PolicyCaller, action: string, resource: string): boolean {
  return (
    !s.conditional &&
    s.principals.some((p) => namesCaller(p, caller)) &&
    s.actions.some((a) => a.test(action)) &&
    s.resources.some((r) => r.test(resource))
  );
}

type PolicyBucket = { name: string; owner: string; policy?: ParsedPolicy };

/** Allowed, or why not: a Deny names the request, or (another account) no Allow does. */
function decide(
  bucket: PolicyBucket,
  caller: PolicyCaller,
  action: string,
  resource: string,
): 'allowed' | 'denied' | 'not-allowed' {
  const statements = bucket.policy?.statements ?? [];
  if (statements.some((s) => s.effect === 'Deny' && applies(s, caller, action, resource))) return 'denied';
  if (caller.account === bucket.owner) return 'allowed';
  return statements.some((s) => s.effect === 'Allow' && applies(s, caller, action, resource))
    ? 'allowed'
    : 'not-allowed';
}

/** Whether the caller may do `action` (e.g. `s3:ListBucket`) on `resource` (`arn:aws:s3:::bucket[/key]`). */
export function bucketAllows(
  bucket: PolicyBucket,
  caller: PolicyCaller,
  action: string,
  resource: string,
): boolean {
  return decide(bucket, caller, action, resource) === 'allowed';
}

/** As bucketAllows; a refused request answers 403 AccessDenied with the reason S3 gives. */
export function checkBucketAccess(
  bucket: PolicyBucket,
  caller: PolicyCaller,
  action: string,
  resource: string,
): void {
  const decision = decide(bucket, caller, action, resource);
  if (decision === 'allowed') return;
  const who = caller.arn ?? `arn:aws:iam::${caller.account}:root`;
  throw new AwsError(
    'AccessDenied',
    403,
    `User: ${who} is not authorized to perform: ${action} on resource: "${resource}" ${
      decision === 'denied'
        ? 'with an explicit deny in a resource-based policy'
        : `because no resource-based policy allows the ${action} action`
    }`,
  );
}

/**
 * AWS STS as far as fleet rollouts need it: AssumeRole and GetCallerIdentity over the awsQuery
 * protocol the SDK speaks (POST / with a form body `Action=AssumeRole&Version=2011-06-15&...`,
 * routed here by the SigV4 scope `sts`; XML answers in the 2011-06-15 namespace, errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error>`).
 *
 * It is also where every request's account comes from: an access key AssumeRole handed out acts
 * in its role's account; any other key is the emulator's default account. Roles are registered
 * through the control API (`POST /_emulator/roles`) or `--role`; an unknown role, or a wrong or
 * missing external id where the role names one, is AccessDenied in STS's words. Sessions expire on
 * the wall clock, not the emulator clock: the SDK refreshes credentials by its own clock, and a
 * clock scaled to make AWS's processing fast must not expire a worker's session under it (the
 * control API ends sessions at once instead: `POST /_emulator/sessions/expire`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from './errors.js';
import type { RawResponse, ServiceRequest } from './service.js';
import type { RoleSpec, SessionSnapshot } from './types.js';
import { checkRole, EXTERNAL_ID, MAX_DURATION_S, ROLE_ARN } from './sts-roles.js';
import { element, XML_DECLARATION } from './xml.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SESSION_NAME = /^[\w+=,.@-]*$/;
/** STS's own bounds on DurationSeconds; a role's MaxSessionDuration narrows the upper one. */
const MIN_DURATION_S = 900;
const DEFAULT_DURATION_S = 3_600;
/** Role chaining (assuming a role with a role's session) is capped at one hour by STS. */
const CHAINED_MAX_DURATION_S = 3_600;

interface Session {
  accessKeyId: string;
  /** sha256 of the session token: the state file keeps no secret. */
  tokenSha256: string;
  roleArn: string;
  sessionName: string;
  account: string;
  /** Wall-clock milliseconds. */
  expiresAt: number;
}

/** Who made a request, as the emulator works it out from the access key. */
export interface Caller {
  account: string;
  /** The IAM principal's ARN, as STS names it in AccessDenied messages and GetCallerIdentity. */
  arn: string;
  userId: string;
  /** Set for keys AssumeRole handed out. */
  session?: Session;
  /** Why the key cannot be used: its session has ended, or its token is not the session's. */
  refused?: 'expired' | 'invalid-token';
}

export interface SavedSts {
  roles: RoleSpec[];
  sessions: Session[];
}

export class StsService {
  private roles = new Map<string, RoleSpec>();
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly defaultAccount: string,
    /** The roles given at startup: reset() returns to them. */
    readonly startupRoles: RoleSpec[] = [],
    private readonly wallNow: () => number = () => Date.now(),
  ) {
    this.reset();
  }

  reset(): void {
    this.roles = new Map(this.startupRoles.map((r) => [r.arn, { ...r }]));
    this.sessions.clear();
  }

  /** Registers (or replaces) roles; their ARNs and external ids follow IAM's and STS's rules. */
  registerRoles(roles: RoleSpec[]): string[] {
    for (const role of roles) checkRole(role);
    for (const role of roles) this.roles.set(role.arn, { ...role });
    return roles.map((r) => r.arn);
  }

  listRoles(): RoleSpec[] {
    return [...this.roles.values()].map((r) => ({ ...r }));
  }

  listSessions(): SessionSnapshot[] {
    const now = this.wallNow();
    return [...this.sessions.values()].map((s) => ({
      accessKeyId: s.accessKeyId,
      roleArn: s.roleArn,
      sessionName: s.sessionName,
      expiration: new Date(s.expiresAt).toISOString(),
      expired: s.expiresAt <= now,
    }));
  }

  /** Ends sessions now (all, or a role's), as if their time had run out: their keys get ExpiredToken. */
  expireSessions(roleArn?: string): number {
    const now = this.wallNow();
    let ended = 0;
    for (const s of this.sessions.values()) {
      if (roleArn !== undefined && s.roleArn !== roleArn) continue;
      if (s.expiresAt > now) ended++;
      s.expiresAt = Math.min(s.expiresAt, now - 1);
    }
    return ended;
  }

  /** The caller of a request: from the SigV4 access key (header or presigned query) and session token. */
  callerOf(headers: IncomingHttpHeaders, query: URLSearchParams): Caller {
    const credential =
      /Credential=([^,\s]+)/.exec(headers.authorization ?? '')?.[1] ?? query.get('X-Amz-Credential') ?? '';
    const accessKeyId = credential.split('/')[0] ?? '';
    const session = this.sessions.get(accessKeyId);
    if (!session) {
      return {
        account: this.defaultAccount,
        arn: `arn:aws:iam::${this.defaultAccount}:user/emulator`,
        userId: `AIDA${stableId(accessKeyId || 'anonymous', 17)}`,
      };
    }
    const caller: Caller = {
      account: session.account,
      arn: assumedRoleArn(session),
      userId: `${roleId(session.roleArn)}:${session.sessionName}`,
      session,
    };
    const token = header(headers['x-amz-security-token']) ?? query.get('X-Amz-Security-Token') ?? '';
    if (sha256(token) !== session.tokenSha256) caller.refused = 'invalid-token';
    else if (session.expiresAt <= this.wallNow()) caller.refused = 'expired';
    return caller;
  }

  handle(req: ServiceRequest, caller: Caller, requestId: string): RawResponse {
    switch (req.operation) {
      case 'AssumeRole':
        return this.assumeRole(params(req), caller, requestId);
      case 'GetCallerIdentity':
        return result(
          'GetCallerIdentity',
          element('UserId', caller.userId) + element('Account', caller.account) + element('Arn', caller.arn),
          requestId,
        );
      default:
        throw new AwsError(
          'InvalidAction',
          400,
          `Could not find operation ${req.operation} for version 2011-06-15`,
        );
    }
  }

  private assumeRole(p: URLSearchParams, caller: Caller, requestId: string): RawResponse {
    const roleArn = p.get('RoleArn');
    const sessionName = p.get('RoleSessionName');
    const problems: string[] = [];
    if (roleArn === null) problems.push(missing('roleArn'));
    else if (roleArn.length < 20)
      problems.push(violation(roleArn, 'roleArn', 'Member must have length greater than or equal to 20'));
    if (sessionName === null) problems.push(missing('roleSessionName'));
    else
      problems.push(...stringViolations(sessionName, 'roleSessionName', 2, 64, SESSION_NAME, '[\\w+=,.@-]*'));
    const durationText = p.get('DurationSeconds');
    const duration = durationText === null ? DEFAULT_DURATION_S : Number(durationText);
    if (!Number.isInteger(duration))
      problems.push(violation(durationText, 'durationSeconds', 'Member must be an integer'));
    else if (duration < MIN_DURATION_S)
      problems.push(
        violation(
          duration,
          'durationSeconds',
          `Member must have value greater than or equal to ${MIN_DURATION_S}`,
        ),
      );
    else if (duration > MAX_DURATION_S)
      problems.push(
        violation(
          duration,
          'durationSeconds',
          `Member must have value less than or equal to ${MAX_DURATION_S}`,
        ),
      );
    const externalId = p.get('ExternalId');
    if (externalId !== null)
      problems.push(...stringViolations(externalId, 'externalId', 2, 1224, EXTERNAL_ID, '[\\w+=,.@:\\/-]*'));
    if (problems.length > 0)
      throw new AwsError(
        'ValidationError',
        400,
        `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`,
      );

    const role = this.roles.get(roleArn!);
    // STS does not say which condition failed: an unknown role and a wrong external id read alike.
    if (!role || (role.externalId !== undefined && externalId !== role.externalId))
      throw new AwsError(
        'AccessDenied',
        403,
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn!}`,
      );
    if (caller.session && duration > CHAINED_MAX_DURATION_S)
      throw new AwsError(
        'ValidationError',
        400,
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      );
    if (duration > (role.maxSessionDurationSeconds ?? DEFAULT_DURATION_S))
      throw new AwsError(
        'ValidationError',
        400,
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );

    const token = randomBytes(96).toString('base64');
    const session: Session = {
      accessKeyId: `ASIA${randomKeyChars(16)}`,
      tokenSha256: sha256(token),
      roleArn: role.arn,
      sessionName: sessionName!,
      account: ROLE_ARN.exec(role.arn)![2]!,
      // Whole seconds, as STS answers them.
      expiresAt: Math.floor(this.wallNow() / 1000) * 1000 + duration * 1000,
    };
    this.sessions.set(session.accessKeyId, session);
    return result(
      'AssumeRole',
      '<Credentials>' +
        element('AccessKeyId', session.accessKeyId) +
        element('SecretAccessKey', randomBytes(30).toString('base64')) +
        element('SessionToken', token) +
        element('Expiration', new Date(session.expiresAt).toISOString().replace('.000Z', 'Z')) +
        '</Credentials>' +
        '<AssumedRoleUser>' +
        element('AssumedRoleId', `${roleId(role.arn)}:${session.sessionName}`) +
        element('Arn', assumedRoleArn(session)) +
        '</AssumedRoleUser>',
      requestId,
    );
  }

  save(): SavedSts {
    return { roles: this.listRoles(), sessions: [...this.sessions.values()].map((s) => ({ ...s })) };
  }

  restore(saved: SavedSts | undefined): void {
    this.reset();
    if (!saved) return;
    for (const role of saved.roles) this.roles.set(role.arn, { ...role });
    for (const s of saved.sessions) this.sessions.set(s.accessKeyId, { ...s });
  }
}

/** The error an expired or forged session key gets from each service, as AWS answers it. */
export function refusedKeyError(service: string, refused: 'expired' | 'invalid-token'): AwsError {
  if (refused === 'invalid-token') {
    if (service === 's3')
      return new AwsError('InvalidToken', 400, 'The provided token is malformed or otherwise invalid.');
    const code =
      service === 'es' || service === 'iot' ? 'UnrecognizedClientException' : 'InvalidClientTokenId';
    return new AwsError(code, 403, 'The security token included in the request is invalid.');
  }
  if (service === 's3') return new AwsError('ExpiredToken', 400, 'The provided token has expired.');
  const code = service === 'es' || service === 'iot' ? 'ExpiredTokenException' : 'ExpiredToken';
  return new AwsError(code, 403, 'The security token included in the request is expired');
}

/** awsQuery's error document. */
export function stsErrorResponse(error: AwsError, requestId: string): RawResponse {
  return {
    status: error.httpStatus,
    headers: { 'content-type': 'text/xml' },
    body:
      `${XML_DECLARATION}<ErrorResponse xmlns="${STS_NAMESPACE}"><Error>` +
      element('Type', error.httpStatus >= 500 ? 'Receiver' : 'Sender') +
      element('Code', error.code) +
      element('Message', error.message) +
      `</Error>${element('RequestId', requestId)}</ErrorResponse>`,
  };
}

/** The operation a request names: awsQuery puts it in `Action`, in the form body or the query. */
export function stsOperation(body: Buffer, query: URLSearchParams): string {
  return (
    new URLSearchParams(body.toString('utf8')).get('Action') ?? query.get('Action') ?? 'UnknownOperation'
  );
}

function params(req: ServiceRequest): URLSearchParams {
  const p = new URLSearchParams(req.query);
  for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) p.set(k, v);
  return p;
}

function result(action: string, inner: string, requestId: string): RawResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body:
      `${XML_DECLARATION}<${action}Response xmlns="${STS_NAMESPACE}"><${action}Result>${inner}</${action}Result>` +
      `<ResponseMetadata>${element('RequestId', requestId)}</ResponseMetadata></${action}Response>`,
  };
}

function missing(member: string): string {
  return `Value null at '${member}' failed to satisfy constraint: Member must not be null`;
}

function violation(value: unknown, member: string, constraint: string): string {
  return `Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`;
}

/** A string member's length bounds, then its pattern, as STS words them (the first that fails). */
function stringViolations(
  value: string,
  member: string,
  min: number,
  max: number,
  pattern: RegExp,
  patternText: string,
): string[] {
  if (value.length < min)
    return [violation(value, member, `Member must have length greater than or equal to ${min}`)];
  if (value.length > max)
    return [violation(value, member, `Member must have length less than or equal to ${max}`)];
  if (!pattern.test(value))
    return [violation(value, member, `Member must satisfy regular expression pattern: ${patternText}`)];
  return [];
}

function assumedRoleArn(session: Session): string {
  const [, partition = '', account = '', , name = ''] = ROLE_ARN.exec(session.roleArn) ?? [];
  return `arn:aws${partition}:sts::${account}:assumed-role/${name}/${session.sessionName}`;
}

/** A role's unique id (AROA...), stable for its ARN. */
function roleId(arn: string): string {
  return `AROA${stableId(arn, 17)}`;
}

function stableId(seed: string, length: number): string {
  return base32(createHash('sha256').update(seed).digest()).slice(0, length);
}

function randomKeyChars(length: number): string {
  return base32(randomBytes(length)).slice(0, length);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Buffer): string {
  return [...bytes].map((b) => BASE32[b % 32]).join('');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

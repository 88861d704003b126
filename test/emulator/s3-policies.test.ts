import { describe, expect, it } from 'vitest';
import { AwsError } from '../../src/emulator/errors.js';
import { checkBucketAccess, parseBucketPolicy } from '../../src/emulator/s3-policies.js';
import { stagingReadPolicy } from '../../src/aws/staging-policy.js';

/**
 * Bucket policies as the emulator reads them: the documents S3 refuses, and who may read a bucket
 * of another account (the principals, wildcards and Deny that a fleet's staging bucket meets).
 */

const OWNER = '123456789012';
const ROLE = 'arn:aws:iam::210987654321:role/rollouts';
const session = (role: string, account = '210987654321') => ({
  account,
  roleArn: role,
  arn: `arn:aws:sts::${account}:assumed-role/${role.split('/').pop()}/s1`,
});

function refusal(run: () => void): { code: string; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    if (!(err instanceof AwsError)) throw err;
    return { code: err.code, message: err.message };
  }
}

const statement = (extra: object) => ({
  Effect: 'Allow',
  Principal: { AWS: ROLE },
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::staging/*',
  ...extra,
});
const policy = (...statements: object[]) =>
  parseBucketPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'staging');
const bucket = (p?: ReturnType<typeof policy>) => ({
  name: 'staging',
  owner: OWNER,
  ...(p ? { policy: p } : {}),
});
const read = (
  b: ReturnType<typeof bucket>,
  caller: { account: string; roleArn?: string; arn?: string },
  key = 'package-rollouts/a.txt',
) => refusal(() => checkBucketAccess(b, caller, 's3:GetObject', `arn:aws:s3:::staging/${key}`));

describe('PutBucketPolicy refuses what S3 refuses', () => {
  it.each([
    ['not JSON', '{"Statement": [', /first byte must be '\{'/],
    ['an array', '[]', /first byte must be '\{'/],
    ['no Statement', '{"Version": "2012-10-17"}', /Missing required field Statement/],
    ['a bad effect', JSON.stringify({ Statement: [statement({ Effect: 'Maybe' })] }), /Invalid effect/],
    [
      'no principal',
      JSON.stringify({ Statement: [statement({ Principal: undefined })] }),
      /Missing required field Principal/,
    ],
    [
      'an empty principal list',
      JSON.stringify({ Statement: [statement({ Principal: { AWS: [] } })] }),
      /Invalid principal/,
    ],
    [
      'a bad principal',
      JSON.stringify({ Statement: [statement({ Principal: { AWS: 'someone' } })] }),
      /Invalid principal/,
    ],
    [
      'another service',
      JSON.stringify({ Statement: [statement({ Action: 'ec2:RunInstances' })] }),
      /invalid action/,
    ],
    [
      'another bucket',
      JSON.stringify({ Statement: [statement({ Resource: 'arn:aws:s3:::other/*' })] }),
      /invalid resource/,
    ],
  ])('%s: MalformedPolicy', (_name, text, message) => {
    const refused = refusal(() => parseBucketPolicy(text, 'staging'));
    expect(refused?.code).toBe('MalformedPolicy');
    expect(refused?.message).toMatch(message);
  });

  it('keeps the document as given; the staging statement needs a role', () => {
    expect(() => stagingReadPolicy('staging', [])).toThrow(/at least one role/);
    const text = stagingReadPolicy('staging', [ROLE]);
    expect(parseBucketPolicy(text, 'staging').text).toBe(text);
  });
});

describe('who may read another account’s bucket', () => {
  it('no policy: the owner may, another account may not', () => {
    expect(read(bucket(), { account: OWNER })).toBeUndefined();
    expect(read(bucket(), session(ROLE))).toEqual({
      code: 'AccessDenied',
      message: `User: arn:aws:sts::210987654321:assumed-role/rollouts/s1 is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::staging/package-rollouts/a.txt" because no resource-based policy allows the s3:GetObject action`,
    });
  });

  it('the staging statement: that role, under the prefix, reads; other roles and keys do not', () => {
    const b = bucket(parseBucketPolicy(stagingReadPolicy('staging', [ROLE]), 'staging'));
    expect(read(b, session(ROLE))).toBeUndefined();
    expect(read(b, session(ROLE), 'elsewhere/a.txt')?.code).toBe('AccessDenied');
    expect(read(b, session('arn:aws:iam::210987654321:role/other'))?.code).toBe('AccessDenied');
    expect(read(b, session('arn:aws:iam::333333333333:role/rollouts', '333333333333'))?.code).toBe(
      'AccessDenied',
    );
    expect(
      refusal(() =>
        checkBucketAccess(b, session(ROLE), 's3:PutObject', 'arn:aws:s3:::staging/package-rollouts/a.txt'),
      )?.code,
    ).toBe('AccessDenied');
  });

  it('an account principal names every principal of that account; wildcards match actions and keys', () => {
    expect(
      read(bucket(policy(statement({ Principal: { AWS: '210987654321' } }))), session(ROLE)),
    ).toBeUndefined();
    expect(
      read(
        bucket(policy(statement({ Principal: { AWS: ['arn:aws:iam::210987654321:root'] } }))),
        session(ROLE),
      ),
    ).toBeUndefined();
    expect(
      read(bucket(policy(statement({ Principal: '*', Action: 's3:Get*' }))), session(ROLE)),
    ).toBeUndefined();
    expect(
      read(
        bucket(policy(statement({ Action: '*', Resource: 'arn:aws:s3:::staging/package-rollouts/?.txt' }))),
        session(ROLE),
      ),
    ).toBeUndefined();
    expect(
      read(
        bucket(policy(statement({ Resource: 'arn:aws:s3:::staging/package-rollouts/?.txt' }))),
        session(ROLE),
        'package-rollouts/ab.txt',
      )?.code,
    ).toBe('AccessDenied');
  });

  it('a Deny wins over an Allow, for the owner too; a conditional statement neither allows nor denies', () => {
    const deny = statement({ Effect: 'Deny', Principal: '*', Action: 's3:*' });
    expect(read(bucket(policy(statement({}), deny)), session(ROLE))?.message).toMatch(
      /explicit deny in a resource-based policy$/,
    );
    expect(read(bucket(policy(deny)), { account: OWNER })?.code).toBe('AccessDenied');
    const conditional = { Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    expect(read(bucket(policy(statement(conditional))), session(ROLE))?.code).toBe('AccessDenied');
    expect(read(bucket(policy(statement({}), { ...deny, ...conditional })), session(ROLE))).toBeUndefined();
  });
});

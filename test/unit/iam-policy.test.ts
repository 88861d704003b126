import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  generateIamPolicy,
  generateRoleTrustPolicy,
  parametersFromArgs,
  TEMPLATE_PARAMETERS,
  trustPolicyFromArgs,
  type IamPolicyParameters,
} from '../../deploy/iam-policy.js';

/**
 * The policy deploy/iam-policy.ts generates must grant exactly the AWS actions the worker's
 * activities call: the list is derived from the `new XxxCommand(` calls in src/activities, so
 * adding a call without adding its permission (or leaving a permission no code uses) fails here.
 * And it must scope every action AWS lets IAM scope to the deployment's parameters.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const activitiesDir = join(root, 'src', 'activities');
const PARAMETERS: IamPolicyParameters = {
  stagingBucket: 'acme-rollouts-staging',
  stagingPrefix: 'package-rollouts/',
  sourceBuckets: [
    { bucket: 'acme-dictionaries', prefix: '' },
    { bucket: 'acme-shared', prefix: 'synonyms/' },
  ],
  domainNamePrefix: 'search-',
  iotPackagePrefix: 'edge-',
  alarmNamePrefix: 'opensearch-',
  region: 'eu-west-1',
  account: '123456789012',
  assumeRoles: ['arn:aws:iam::210987654321:role/rollouts', 'arn:aws:iam::345678901234:role/search/rollouts'],
};
const policy = generateIamPolicy(PARAMETERS);

/** IAM prefix of each SDK client package. */
const PREFIX: Record<string, string> = {
  '@aws-sdk/client-opensearch': 'es',
  '@aws-sdk/client-iot': 'iot',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
};

/**
 * Where the IAM action is not simply `<prefix>:<Operation>`, or a call needs more than its own action.
 * Keyed by `<prefix>:<Operation>`.
 */
const ACTIONS_FOR: Record<string, string[]> = {
  // HeadObject is authorized by s3:GetObject. Without s3:ListBucket, S3 answers 403 instead of 404
  // for a key that does not exist, and staging would fail instead of uploading.
  's3:HeadObject': ['s3:GetObject', 's3:ListBucket'],
  // AWS: CreatePackage checks that fleet indexing is on, with the caller's permissions.
  'iot:CreatePackage': ['iot:CreatePackage', 'iot:GetIndexingConfiguration'],
  // CopyObject has no action of its own: S3 authorizes it as GetObject on the source and PutObject
  // on the destination (a fleet rollout copies a staged file into each place's bucket).
  's3:CopyObject': ['s3:GetObject', 's3:PutObject'],
};

/** Actions the service authorization reference lists without resource-level permissions. */
const NO_RESOURCE_LEVEL = new Set([
  'es:CreatePackage',
  'es:DeletePackage',
  'es:DescribePackages',
  'es:ListDomainsForPackage',
  'es:UpdatePackage',
  'es:GetPackageVersionHistory',
  'es:ListApplications',
  'es:GetApplication',
  'es:AttachDataSource',
  'es:DescribeDataSourceAttachment',
  'es:DetachDataSource',
  'es:ListDataSourceAttachments',
  'iot:GetIndexingConfiguration',
]);

interface CommandUse {
  file: string;
  client: string;
  command: string;
}

/** Every `new XxxCommand(` in src/activities, with the SDK package it is imported from. */
function commandsCalled(): CommandUse[] {
  const uses: CommandUse[] = [];
  for (const file of readdirSync(activitiesDir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(activitiesDir, file), 'utf8');
    const importedFrom = new Map<string, string>();
    for (const m of source.matchAll(
      /import\s*(type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g,
    )) {
      if (m[1]) continue;
      for (const name of m[2]!.split(',').map((s) =>
        s
          .trim()
          .split(/\s+as\s+/)[0]!
          .trim(),
      ))
        if (name && !name.startsWith('type ')) importedFrom.set(name, m[3]!);
    }
    for (const m of source.matchAll(/new\s+([A-Z][A-Za-z0-9]*Command)\s*\(/g)) {
      const client = importedFrom.get(m[1]!);
      if (!client) throw new Error(`${file}: ${m[1]} is not imported from an @aws-sdk client package`);
      uses.push({ file, client, command: m[1]! });
    }
  }
  return uses;
}

/** The worker's other AWS calls: assuming fleet roles (src/aws/places.ts, through the credential provider). */
function workerCalls(): Array<[action: string, why: string]> {
  const places = readFileSync(join(root, 'src', 'aws', 'places.ts'), 'utf8');
  return /\bfromTemporaryCredentials\(/.test(places)
    ? [['sts:AssumeRole', 'src/aws/places.ts: fromTemporaryCredentials (fleet roles)']]
    : [];
}

function requiredActions(): Map<string, string[]> {
  const required = new Map<string, string[]>(workerCalls().map(([action, why]) => [action, [why]]));
  for (const use of commandsCalled()) {
    const prefix = PREFIX[use.client];
    if (!prefix) throw new Error(`${use.file}: no IAM prefix known for ${use.client}; add it to PREFIX`);
    const operation = `${prefix}:${use.command.replace(/Command$/, '')}`;
    for (const action of ACTIONS_FOR[operation] ?? [operation]) {
      const why = required.get(action) ?? [];
      why.push(`${use.file}: ${use.command}`);
      required.set(action, why);
    }
  }
  return required;
}

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const policyActions = () => policy.Statement.flatMap((s) => asList(s.Action));

describe('the generated IAM policy (least privilege for the worker)', () => {
  it('finds the AWS calls of every activity file (the derivation itself works)', () => {
    const commands = new Set(commandsCalled().map((u) => u.command));
    // The calls the dictionary rollout cannot do without: if these vanish, the scan is broken.
    for (const c of [
      'GetObjectCommand',
      'PutObjectCommand',
      'CreatePackageCommand',
      'AssociatePackageCommand',
    ])
      expect(commands).toContain(c);
  });

  it('grants exactly the actions the activities call: nothing missing, nothing extra', () => {
    const required = requiredActions();
    const granted = new Set(policyActions());
    const missing = [...required.keys()].filter((a) => !granted.has(a)).sort();
    const extra = [...granted].filter((a) => !required.has(a)).sort();
    expect(
      { missing: missing.map((a) => `${a} (${required.get(a)!.join('; ')})`), extra },
      'update deploy/iam-policy.json: add what is missing, remove what no activity calls',
    ).toEqual({ missing: [], extra: [] });
  });

  it('lists each action once, uses no wildcard actions, and only Allow statements', () => {
    const actions = policyActions();
    expect(new Set(actions).size).toBe(actions.length);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(policy.Version).toBe('2012-10-17');
    for (const s of policy.Statement) {
      expect(s.Effect).toBe('Allow');
      expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
    }
  });

  it('names no "*" resource where AWS allows a narrower one', () => {
    for (const s of policy.Statement) {
      const resources = asList(s.Resource);
      if (resources.some((r) => r === '*'))
        expect(
          asList(s.Action).filter((a) => !NO_RESOURCE_LEVEL.has(a)),
          `${s.Sid}: Resource "*" only for actions without resource-level permissions`,
        ).toEqual([]);
      else
        for (const r of resources)
          expect(r, `${s.Sid}`).not.toMatch(/^arn:aws:s3:::\*|:\*$|domain\/\*$|package\/\*$/);
    }
  });

  it('scopes each resource to the parameters: sources, staging prefix, domain and IoT package prefixes', () => {
    const statementFor = (action: string) => policy.Statement.find((s) => asList(s.Action).includes(action))!;
    expect(asList(statementFor('s3:GetObject').Resource)).toEqual([
      'arn:aws:s3:::acme-dictionaries/*',
      'arn:aws:s3:::acme-shared/synonyms/*',
      'arn:aws:s3:::acme-rollouts-staging/package-rollouts/*',
    ]);
    expect(asList(statementFor('s3:PutObject').Resource)).toEqual([
      'arn:aws:s3:::acme-rollouts-staging/package-rollouts/*',
    ]);
    expect(asList(statementFor('s3:ListBucket').Resource)).toEqual(['arn:aws:s3:::acme-rollouts-staging']);
    expect(asList(statementFor('es:AssociatePackage').Resource)).toEqual([
      'arn:aws:es:eu-west-1:123456789012:domain/search-*',
    ]);
    expect(asList(statementFor('sts:AssumeRole').Resource)).toEqual(PARAMETERS.assumeRoles);
    expect(asList(statementFor('iot:UpdatePackageVersion').Resource)).toEqual([
      'arn:aws:iot:eu-west-1:123456789012:package/edge-*',
      'arn:aws:iot:eu-west-1:123456789012:package/edge-*/version/*',
    ]);
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 'es:AssociatePackage'])
      expect(statementFor(action).Condition?.StringEquals?.['aws:ResourceAccount']).toBe(
        '${aws:PrincipalAccount}',
      );
  });

  it('reads its parameters from the command line, and deploy/iam-policy.json is its template output', () => {
    const args = [
      '--staging-bucket',
      'acme-rollouts-staging',
      '--source',
      'acme-dictionaries',
      '--source',
      'acme-shared/synonyms/',
      '--domain-prefix',
      'search-',
      '--iot-package-prefix',
      'edge-',
      '--alarm-prefix',
      'opensearch-',
      '--region',
      'eu-west-1',
      '--account',
      '123456789012',
      '--assume-role',
      'arn:aws:iam::210987654321:role/rollouts',
      '--assume-role',
      'arn:aws:iam::345678901234:role/search/rollouts',
    ];
    expect(generateIamPolicy(parametersFromArgs(args))).toEqual(policy);
    expect(() => parametersFromArgs(['--staging-bucket', 'b'])).toThrow(
      /--source bucket\[\/prefix\] is required/,
    );
    const template = JSON.parse(readFileSync(join(root, 'deploy', 'iam-policy.json'), 'utf8')) as unknown;
    expect(template, 'regenerate: npx tsx deploy/iam-policy.ts --template > deploy/iam-policy.json').toEqual(
      generateIamPolicy(TEMPLATE_PARAMETERS),
    );
  });

  it('grants sts:AssumeRole only with fleet roles, and on those roles only', () => {
    const { assumeRoles: _roles, ...single } = PARAMETERS;
    const actions = generateIamPolicy(single).Statement.flatMap((s) => asList(s.Action));
    expect(actions.filter((a) => a.startsWith('sts:'))).toEqual([]);
    expect(() => generateIamPolicy({ ...single, assumeRoles: ['arn:aws:iam::*:role/x'] })).toThrow(
      /not an IAM role ARN/,
    );
  });

  it("generates a fleet role's trust policy naming the worker's principal and the external id", () => {
    const worker = 'arn:aws:iam::123456789012:role/package-rollouts-worker';
    expect(generateRoleTrustPolicy({ workerPrincipal: worker, externalId: 'team-42' })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PackageRolloutsWorker',
          Effect: 'Allow',
          Principal: { AWS: worker },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'team-42' } },
        },
      ],
    });
    expect(
      trustPolicyFromArgs(['--trust-policy', '--worker-principal', worker]).Statement[0],
    ).not.toHaveProperty('Condition');
    expect(() => trustPolicyFromArgs(['--trust-policy'])).toThrow(/--worker-principal is required/);
  });
});

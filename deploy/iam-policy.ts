/**
 * The worker's IAM policy, generated for one deployment: it may read only the allowed source
 * buckets (and prefixes), write only under the staging prefix, associate packages only with
 * domains whose names start with the domain prefix, and touch only IoT packages whose names start
 * with the IoT prefix.
 *
 *   npx tsx deploy/iam-policy.ts --staging-bucket my-staging --staging-prefix package-rollouts/ \
 *     --source dictionaries --source shared/synonyms/ --domain-prefix search- \
 *     --iot-package-prefix edge- [--alarm-prefix opensearch-] [--region eu-west-1] [--account 123456789012] [--partition aws] \
 *     [--assume-role arn:aws:iam::210987654321:role/rollouts ...]
 *
 * Fleets (targets in other accounts): `--assume-role` (repeatable) grants sts:AssumeRole on those
 * roles only. Each such role, in its own account, needs a trust policy naming the worker's
 * principal (and the external id, when the rollout passes one):
 *
 *   npx tsx deploy/iam-policy.ts --trust-policy --worker-principal arn:aws:iam::123456789012:role/package-rollouts-worker [--external-id team-42]
 *
 * and a permissions policy of its own: this generator's output for that account (the es:, s3:,
 * iot: and cloudwatch: statements, without --assume-role).
 *
 * deploy/iam-policy.json is this generator's output for placeholder parameters (`<staging-bucket>`
 * ...): a template to fill in by hand, kept in step by test/unit/iam-policy.test.ts.
 *
 * Resource "*" remains only where the Service Authorization Reference lists no resource type for
 * the action, so IAM cannot scope it: es:CreatePackage, es:UpdatePackage, es:DeletePackage,
 * es:DescribePackages and es:ListDomainsForPackage (packages have no ARN in IAM),
 * es:ListApplications, es:GetApplication, es:AttachDataSource and es:DescribeDataSourceAttachment
 * (as the project's sync test records them), and iot:GetIndexingConfiguration (an account
 * setting). The worker-side checks (ROLLOUTS_SOURCE_BUCKETS, the input schemas) narrow what those
 * can be asked to do.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface IamPolicyParameters {
  stagingBucket: string;
  /** Key prefix staged files go under, e.g. `package-rollouts/`. */
  stagingPrefix: string;
  /** Buckets dictionaries may be read from, each with an optional key prefix ('' = whole bucket). */
  sourceBuckets: Array<{ bucket: string; prefix: string }>;
  /** Domains the worker may associate packages with: names starting with this. */
  domainNamePrefix: string;
  /** IoT software packages the worker may create and publish: names starting with this. */
  iotPackagePrefix: string;
  /** Alarms health gates may read: names starting with this ('' or absent = every alarm). */
  alarmNamePrefix?: string;
  /** Default: any Region ('*'). */
  region?: string;
  /** Default: any account ('*'), with S3 kept to the worker's own account by a condition. */
  account?: string;
  partition?: string;
  /** Roles in other accounts the worker assumes for fleet rollouts (src/aws/places.ts). */
  assumeRoles?: string[];
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface IamPolicy {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The worker's own account: bucket names are global, so a same-named bucket elsewhere is refused. */
const OWN_ACCOUNT = { StringEquals: { 'aws:ResourceAccount': '${aws:PrincipalAccount}' } };

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|<[^>]+>):role\/[\w+=,.@/<>-]+$/;

export function generateIamPolicy(p: IamPolicyParameters): IamPolicy {
  if (p.sourceBuckets.length === 0) throw new RangeError('at least one source bucket is needed');
  for (const role of p.assumeRoles ?? [])
    if (!ROLE_ARN.test(role)) throw new RangeError(`--assume-role ${role}: not an IAM role ARN`);
  const partition = p.partition ?? 'aws';
  const region = p.region ?? '*';
  const account = p.account ?? '*';
  const s3 = (bucket: string, prefix?: string) =>
    prefix === undefined ? `arn:${partition}:s3:::${bucket}` : `arn:${partition}:s3:::${bucket}/${prefix}*`;
  const iotPackage = `arn:${partition}:iot:${region}:${account}:package/${p.iotPackagePrefix}*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OpenSearchPackagesNoResourceLevelPermissions',
        Effect: 'Allow',
        Action: [
          'es:CreatePackage',
          'es:DeletePackage',
          'es:DescribePackages',
          'es:ListDomainsForPackage',
          'es:UpdatePackage',
        ],
        Resource: '*',
      },
      {
        Sid: 'OpenSearchPackageAssociationsOnPrefixedDomains',
        Effect: 'Allow',
        // DescribeDomain: a verified rollout reads the domain's data-plane endpoint, and a plugin
        // rollout its engine version and deployment (granted once, here).
        Action: ['es:AssociatePackage', 'es:DescribeDomain', 'es:DissociatePackage'],
        Resource: `arn:${partition}:es:${region}:${account}:domain/${p.domainNamePrefix}*`,
        Condition: OWN_ACCOUNT,
      },
      {
        // Plugin rollouts: the bundle in one call, and the blue/green deployment it starts.
        Sid: 'OpenSearchPluginDeploymentsOnPrefixedDomains',
        Effect: 'Allow',
        Action: [
          'es:AssociatePackages',
          'es:DescribeDomainChangeProgress',
          'es:DissociatePackages',
          'es:ListPackagesForDomain',
        ],
        Resource: `arn:${partition}:es:${region}:${account}:domain/${p.domainNamePrefix}*`,
        Condition: OWN_ACCOUNT,
      },
      {
        Sid: 'OpenSearchApplicationDataSources',
        Effect: 'Allow',
        Action: [
          'es:AttachDataSource',
          'es:DescribeDataSourceAttachment',
          'es:GetApplication',
          'es:ListApplications',
        ],
        Resource: '*',
      },
      {
        Sid: 'ReadAllowedSourcesAndStagedFiles',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [
          ...p.sourceBuckets.map((b) => s3(b.bucket, b.prefix)),
          s3(p.stagingBucket, p.stagingPrefix),
        ],
        Condition: OWN_ACCOUNT,
      },
      {
        Sid: 'IotSoftwarePackagesAndVersionsWithThePrefix',
        Effect: 'Allow',
        Action: [
          'iot:CreatePackage',
          'iot:CreatePackageVersion',
          'iot:GetPackage',
          'iot:GetPackageVersion',
          'iot:ListPackageVersions',
          'iot:UpdatePackage',
          'iot:UpdatePackageVersion',
        ],
        Resource: [iotPackage, `${iotPackage}/version/*`],
      },
      {
        Sid: 'IotCreatePackageChecksFleetIndexing',
        Effect: 'Allow',
        Action: ['iot:GetIndexingConfiguration'],
        Resource: '*',
      },
      {
        Sid: 'StageDictionariesUnderTheStagingPrefix',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: s3(p.stagingBucket, p.stagingPrefix),
        Condition: OWN_ACCOUNT,
      },
      {
        // HeadObject answers 404 (not 403) for content not staged yet only with ListBucket.
        Sid: 'HeadObjectAnswers404InTheStagingBucket',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: s3(p.stagingBucket),
        Condition: OWN_ACCOUNT,
      },
      {
        // Health gates (docs/health-gates.md): alarms are only read, never changed.
        Sid: 'HealthGatesReadAlarms',
        Effect: 'Allow',
        Action: ['cloudwatch:DescribeAlarms'],
        Resource: `arn:${partition}:cloudwatch:${region}:${account}:alarm:${p.alarmNamePrefix ?? ''}*`,
      },
      ...(p.assumeRoles?.length
        ? [
            {
              // Fleet rollouts: targets in other accounts are reached through these roles only
              // (their trust policies: generateRoleTrustPolicy).
              Sid: 'FleetRolesInOtherAccounts',
              Effect: 'Allow' as const,
              Action: ['sts:AssumeRole'],
              Resource: [...p.assumeRoles],
            },
          ]
        : []),
    ],
  };
}

export interface TrustPolicy {
  Version: '2012-10-17';
  Statement: Array<{
    Sid: string;
    Effect: 'Allow';
    Principal: { AWS: string };
    Action: 'sts:AssumeRole';
    Condition?: Record<string, Record<string, string>>;
  }>;
}

/**
 * The trust policy of a fleet role (in the target account): only the worker's principal may assume
 * it, and only with the external id when one is agreed (STS answers AccessDenied otherwise).
 */
export function generateRoleTrustPolicy(p: { workerPrincipal: string; externalId?: string }): TrustPolicy {
  if (!/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/.test(p.workerPrincipal))
    throw new RangeError(`--worker-principal ${p.workerPrincipal}: not an IAM role or user ARN`);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PackageRolloutsWorker',
        Effect: 'Allow',
        Principal: { AWS: p.workerPrincipal },
        Action: 'sts:AssumeRole',
        ...(p.externalId !== undefined
          ? { Condition: { StringEquals: { 'sts:ExternalId': p.externalId } } }
          : {}),
      },
    ],
  };
}

/** The parameters deploy/iam-policy.json is generated with: placeholders to replace. */
export const TEMPLATE_PARAMETERS: IamPolicyParameters = {
  stagingBucket: '<staging-bucket>',
  stagingPrefix: '<staging-prefix>',
  sourceBuckets: [{ bucket: '<source-bucket>', prefix: '<source-prefix>' }],
  domainNamePrefix: '<domain-name-prefix>',
  iotPackagePrefix: '<iot-package-prefix>',
  alarmNamePrefix: '<alarm-name-prefix>',
  assumeRoles: ['arn:aws:iam::<fleet-account>:role/<fleet-role>'],
};

export function parametersFromArgs(args: string[]): IamPolicyParameters {
  const { values } = parseArgs({
    args,
    options: {
      'staging-bucket': { type: 'string' },
      'staging-prefix': { type: 'string', default: 'package-rollouts/' },
      source: { type: 'string', multiple: true },
      'domain-prefix': { type: 'string' },
      'iot-package-prefix': { type: 'string' },
      'alarm-prefix': { type: 'string' },
      region: { type: 'string' },
      account: { type: 'string' },
      partition: { type: 'string' },
      'assume-role': { type: 'string', multiple: true },
    },
  });
  const required = (name: 'staging-bucket' | 'domain-prefix' | 'iot-package-prefix') => {
    const v = values[name];
    if (v === undefined) throw new RangeError(`--${name} is required`);
    return v;
  };
  if (!values.source?.length)
    throw new RangeError('--source bucket[/prefix] is required (repeat it for more)');
  return {
    stagingBucket: required('staging-bucket'),
    stagingPrefix: values['staging-prefix']!,
    sourceBuckets: values.source.map((s) => {
      const slash = s.indexOf('/');
      return slash < 0
        ? { bucket: s, prefix: '' }
        : { bucket: s.slice(0, slash), prefix: s.slice(slash + 1) };
    }),
    domainNamePrefix: required('domain-prefix'),
    iotPackagePrefix: required('iot-package-prefix'),
    ...(values['alarm-prefix'] ? { alarmNamePrefix: values['alarm-prefix'] } : {}),
    ...(values.region ? { region: values.region } : {}),
    ...(values.account ? { account: values.account } : {}),
    ...(values.partition ? { partition: values.partition } : {}),
    ...(values['assume-role']?.length ? { assumeRoles: values['assume-role'] } : {}),
  };
}

export function trustPolicyFromArgs(args: string[]): TrustPolicy {
  const { values } = parseArgs({
    args,
    options: {
      'trust-policy': { type: 'boolean' },
      'worker-principal': { type: 'string' },
      'external-id': { type: 'string' },
    },
  });
  if (!values['worker-principal']) throw new RangeError('--worker-principal is required with --trust-policy');
  return generateRoleTrustPolicy({
    workerPrincipal: values['worker-principal'],
    ...(values['external-id'] !== undefined ? { externalId: values['external-id'] } : {}),
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const args = process.argv.slice(2);
    const output = args.includes('--trust-policy')
      ? trustPolicyFromArgs(args)
      : generateIamPolicy(args.includes('--template') ? TEMPLATE_PARAMETERS : parametersFromArgs(args));
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } catch (err) {
    process.stderr.write(`iam-policy: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

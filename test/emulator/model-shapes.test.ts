import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as EsModel from '@aws-sdk/client-elasticsearch-service';
import {
  CreateElasticsearchDomainCommand,
  DeleteElasticsearchDomainCommand,
  DescribeElasticsearchDomainCommand,
  DescribeElasticsearchDomainsCommand,
  ElasticsearchServiceClient,
  ListDomainNamesCommand as EsListDomainNamesCommand,
} from '@aws-sdk/client-elasticsearch-service';
import * as IotModel from '@aws-sdk/client-iot';
import {
  CreatePackageCommand as IotCreatePackageCommand,
  CreatePackageVersionCommand,
  DeletePackageCommand as IotDeletePackageCommand,
  DeletePackageVersionCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
  IoTClient,
  ListPackagesCommand,
  ListPackageVersionsCommand,
  UpdatePackageCommand as IotUpdatePackageCommand,
  UpdatePackageVersionCommand,
} from '@aws-sdk/client-iot';
import * as OpenSearchModel from '@aws-sdk/client-opensearch';
import {
  AssociatePackageCommand,
  AssociatePackagesCommand,
  AttachDataSourceCommand,
  CreateApplicationCommand,
  CreateDomainCommand,
  CreatePackageCommand,
  DeleteApplicationCommand,
  DeleteDomainCommand,
  DeletePackageCommand,
  DescribeDataSourceAttachmentCommand,
  DescribeDomainCommand,
  DescribeDomainChangeProgressCommand,
  DescribeDomainsCommand,
  DescribePackagesCommand,
  DetachDataSourceCommand,
  DissociatePackageCommand,
  DissociatePackagesCommand,
  GetApplicationCommand,
  GetPackageVersionHistoryCommand,
  ListApplicationsCommand,
  ListDataSourceAttachmentsCommand,
  ListDomainNamesCommand,
  ListDomainsForPackageCommand,
  ListPackagesForDomainCommand,
  OpenSearchClient,
  UpdatePackageCommand,
} from '@aws-sdk/client-opensearch';
import * as S3Model from '@aws-sdk/client-s3';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import * as StsModel from '@aws-sdk/client-sts';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { IOT_ROUTES } from '../../src/emulator/iot.js';
import { OPENSEARCH_ROUTES } from '../../src/emulator/opensearch.js';
import { credentials, failure, useEmulator } from './harness.js';
import {
  errorSchema,
  headerShapeProblems,
  jsonShapeProblems,
  operationSchema,
  parseXml,
  payloadSchema,
  recordResponses,
  xmlShapeProblems,
  type RecordedResponse,
} from './model-shapes.js';

/**
 * Every operation the emulator routes, driven through the SDK client of its API version, with
 * every raw answer held against the output (or error) shape of that operation in the client's own
 * model: a member the model does not define, a required member missing or a value of the wrong
 * type fails the test. The states that add members (failures, pages, DISSOCIATING, ...) are visited.
 */

type Module = Record<string, unknown>;
const MODELS: Record<string, Module> = {
  opensearch: OpenSearchModel as unknown as Module,
  es: EsModel as unknown as Module,
  iot: IotModel as unknown as Module,
  s3: S3Model as unknown as Module,
  sts: StsModel as unknown as Module,
};
/** STS errors every operation may answer (the "common errors"), which the model does not list. */
const STS_COMMON_ERRORS = new Set([
  'AccessDenied',
  'ValidationError',
  'ExpiredToken',
  'InvalidClientTokenId',
]);
/** The S3 operations classifyS3 answers (it classifies by method and query rather than a table). */
const S3_OPERATIONS = [
  'ListBuckets',
  'CreateBucket',
  'HeadBucket',
  'DeleteBucket',
  'ListObjectsV2',
  'PutObject',
  'CopyObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'PutBucketPolicy',
  'GetBucketPolicy',
  'DeleteBucketPolicy',
];
/** Headers every S3 answer carries and no output member names. */
const S3_GENERIC_HEADERS = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'x-amz-request-id',
  'x-amz-id-2',
]);

const h = useEmulator();
const recorded: RecordedResponse[] = [];
let opensearch: OpenSearchClient;
let es: ElasticsearchServiceClient;
let iot: IoTClient;
let s3: S3Client;
let sts: STSClient;

beforeAll(() => {
  const common = { endpoint: h.emulator.url, region: 'us-east-1', credentials, maxAttempts: 1 };
  opensearch = new OpenSearchClient(common);
  es = new ElasticsearchServiceClient(common);
  iot = new IoTClient(common);
  s3 = new S3Client({ ...common, forcePathStyle: true });
  sts = new STSClient(common);
  recordResponses(opensearch, 'opensearch', recorded);
  recordResponses(sts, 'sts', recorded);
  recordResponses(es, 'es', recorded);
  recordResponses(iot, 'iot', recorded);
  recordResponses(s3, 's3', recorded);
});

afterAll(() => {
  for (const client of [opensearch, es, iot, s3, sts]) client?.destroy();
});

function problemsOf(r: RecordedResponse): string[] {
  const model = MODELS[r.service]!;
  const where = `${r.service}:${r.operation} ${r.status}`;
  const output = operationSchema(model, r.operation)[5];
  if (r.service === 'sts') {
    // awsQuery: <XResponse><XResult>(the output shape)</XResult><ResponseMetadata/></XResponse>.
    const root = parseXml(r.body);
    if (r.status >= 300) {
      const code =
        root.children.find((c) => c.name === 'Error')?.children.find((c) => c.name === 'Code')?.text ?? '';
      return errorSchema(model, code) || STS_COMMON_ERRORS.has(code)
        ? []
        : [`${where}: error ${code} is neither an error of the sts model nor a common error`];
    }
    const result = root.children.find((c) => c.name === `${r.operation}Result`);
    if (root.name !== `${r.operation}Response` || !result) return [`${where}: no ${r.operation}Result`];
    return xmlShapeProblems(result, output).map((p) => `${where}: ${p}`);
  }
  if (r.service === 's3') {
    if (r.status >= 300) return [];
    const problems = headerShapeProblems(r.headers, output, S3_GENERIC_HEADERS);
    // GetObject's and GetBucketPolicy's payload is the object or the policy document itself.
    if (r.body.length > 0 && r.operation !== 'GetObject' && r.operation !== 'GetBucketPolicy')
      problems.push(...xmlShapeProblems(parseXml(r.body), payloadSchema(output) ?? output));
    return problems.map((p) => `${where}: ${p}`);
  }
  const body: unknown = r.body.length > 0 ? JSON.parse(r.body) : {};
  if (r.status < 300) return jsonShapeProblems(body, output).map((p) => `${where}: ${p}`);
  const code = (r.headers['x-amzn-errortype'] ?? '').split(':')[0]!;
  const schema = errorSchema(model, code);
  if (!schema) return [`${where}: error ${code} is not an error of the ${r.service} model`];
  return jsonShapeProblems(body, schema).map((p) => `${where}: ${p}`);
}

describe('the shape checker', () => {
  it('fails a member the model lacks, a missing required member and a wrong type', () => {
    const esModel = MODELS.es!;
    const legacyCreate = operationSchema(esModel, 'CreatePackage')[5];
    expect(
      jsonShapeProblems({ PackageDetails: { PackageID: 'F1', PackageOwner: '123456789012' } }, legacyCreate),
    ).toEqual(['$.PackageDetails.PackageOwner: PackageDetails has no member PackageOwner']);
    const describeDomain = operationSchema(MODELS.opensearch!, 'DescribeDomain')[5];
    expect(
      jsonShapeProblems(
        { DomainStatus: { DomainId: 'a/b', DomainName: 'b', ClusterConfig: {}, Processing: 'no' } },
        describeDomain,
      ),
    ).toEqual([
      '$.DomainStatus.Processing: expected a boolean',
      '$.DomainStatus.ARN: required member of DomainStatus missing',
    ]);
    const list = operationSchema(MODELS.s3!, 'ListObjectsV2')[5];
    expect(
      xmlShapeProblems(parseXml('<ListBucketResult><Name>b</Name><Owner>x</Owner></ListBucketResult>'), list),
    ).toEqual(['/ListBucketResult/Owner: ListObjectsV2Output has no member Owner']);
  });
});

describe('the routes table', () => {
  it('binds each operation to the method and path of its service model', () => {
    const mismatches: string[] = [];
    for (const route of [...OPENSEARCH_ROUTES, ...IOT_ROUTES]) {
      const model =
        route.apiVersion === '2015-01-01' ? MODELS.es! : route.apiVersion ? MODELS.opensearch! : MODELS.iot!;
      const http = (operationSchema(model, route.operation)[3] as { http?: [string, string, number] }).http;
      const modelPath = http?.[1].split('?')[0];
      if (http?.[0] !== route.method || modelPath !== route.path)
        mismatches.push(`${route.operation}: ${route.method} ${route.path} vs model ${http?.join(' ')}`);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('every answer against its operation shape', () => {
  it('OpenSearch 2021-01-01: domains, packages, associations, applications', async () => {
    await h.putObject('staging', 'synonyms.txt', 'a, b\n');
    await h.putObject('staging', 'synonyms-2.txt', 'a, b, c\n');
    await opensearch.send(new CreateDomainCommand({ DomainName: 'fresh', EngineVersion: 'OpenSearch_2.19' }));
    await opensearch.send(new DescribeDomainCommand({ DomainName: 'fresh' }));
    await h.control.seedDomains([
      { name: 'search' },
      { name: 'logs' },
      { name: 'old', engineVersion: 'Elasticsearch_7.10' },
    ]);
    // A VPC domain backed by a node answers Endpoints and VPCOptions (the port answers nothing).
    const nodeDir = mkdtempSync(join(tmpdir(), 'emulator-shapes-'));
    onTestFinished(() => rmSync(nodeDir, { recursive: true, force: true }));
    await h.control.backDomain('search', { endpoint: 'http://127.0.0.1:9', configDir: nodeDir, vpc: true });
    expect(
      (await opensearch.send(new DescribeDomainCommand({ DomainName: 'search' }))).DomainStatus!.Endpoints,
    ).toEqual({
      vpc: 'http://127.0.0.1:9',
    });
    const some = await opensearch.send(
      new DescribeDomainsCommand({ DomainNames: ['search', 'fresh', 'absent'] }),
    );
    expect(some.DomainStatusList!.map((d) => d.DomainName)).toEqual(['search', 'fresh']);
    await opensearch.send(new ListDomainNamesCommand({}));
    await opensearch.send(new ListDomainNamesCommand({ EngineType: 'Elasticsearch' }));
    await opensearch.send(new DescribeDomainChangeProgressCommand({ DomainName: 'search' }));

    const created = await opensearch.send(
      new CreatePackageCommand({
        PackageName: 'synonyms',
        PackageType: 'TXT-DICTIONARY',
        PackageDescription: 'shape check',
        PackageSource: { S3BucketName: 'staging', S3Key: 'synonyms.txt' },
      }),
    );
    const id = created.PackageDetails!.PackageID!;
    await opensearch.send(
      new CreatePackageCommand({
        PackageName: 'missing-source',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'staging', S3Key: 'absent.txt' },
      }),
    );
    await opensearch.send(new DescribePackagesCommand({})); // COPYING
    await h.advance(120_000);
    await opensearch.send(new DescribePackagesCommand({ MaxResults: 1 })); // AVAILABLE, with NextToken
    await opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageStatus', Value: ['COPY_FAILED'] }] }),
    );

    await opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'search' })); // ASSOCIATING
    await opensearch.send(new ListDomainsForPackageCommand({ PackageID: id }));
    await h.control.configureDomain('logs', { failAssociation: 'no room' });
    await opensearch.send(
      new AssociatePackagesCommand({ DomainName: 'logs', PackageList: [{ PackageID: id }] }),
    );
    await h.advance(120_000);
    await opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'logs' })); // ASSOCIATION_FAILED
    await opensearch.send(new ListDomainsForPackageCommand({ PackageID: id, MaxResults: 1 })); // NextToken
    expect(
      (await failure(opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'search' }))))
        .name,
    ).toBe('ConflictException');

    await opensearch.send(
      new UpdatePackageCommand({
        PackageID: id,
        PackageSource: { S3BucketName: 'staging', S3Key: 'synonyms-2.txt' },
        CommitMessage: 'add c',
      }),
    );
    await h.advance(120_000);
    await opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: id }));
    await opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: id, MaxResults: 1 }));
    await opensearch.send(new DissociatePackageCommand({ PackageID: id, DomainName: 'search' })); // DISSOCIATING
    await h.control.configureDomain('logs', { failDissociation: true });
    await opensearch.send(new DissociatePackagesCommand({ DomainName: 'logs', PackageList: [id] }));
    await h.advance(120_000);
    await opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'logs' })); // DISSOCIATION_FAILED
    expect((await failure(opensearch.send(new DeletePackageCommand({ PackageID: id })))).name).toBe(
      'ConflictException',
    );
    // A plugin: one blue/green deployment, on the domain and in its change progress, then over.
    await h.putObject('staging', 'plugin.zip', 'PK\u0003\u0004plugin');
    const plugin = (
      await opensearch.send(
        new CreatePackageCommand({
          PackageName: 'shape-plugin',
          PackageType: 'ZIP-PLUGIN',
          EngineVersion: 'OpenSearch_2.19',
          PackageConfiguration: { LicenseRequirement: 'NONE', ConfigurationRequirement: 'NONE' },
          PackageSource: { S3BucketName: 'staging', S3Key: 'plugin.zip' },
        }),
      )
    ).PackageDetails!.PackageID!;
    await h.advance(120_000);
    await opensearch.send(
      new AssociatePackagesCommand({
        DomainName: 'search',
        PackageList: [
          {
            PackageID: plugin,
            AssociationConfiguration: { KeyStoreAccessOption: { KeyStoreAccessEnabled: false } },
          },
        ],
      }),
    );
    await opensearch.send(new DescribeDomainCommand({ DomainName: 'search' })); // Processing, Modifying
    await opensearch.send(new DescribeDomainChangeProgressCommand({ DomainName: 'search' })); // stages
    await h.advance(900_000);
    await opensearch.send(new DescribeDomainCommand({ DomainName: 'search' })); // Completed
    await opensearch.send(new DescribeDomainChangeProgressCommand({ DomainName: 'search' }));

    const unused = (
      await opensearch.send(
        new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: ['missing-source'] }] }),
      )
    ).PackageDetailsList![0]!.PackageID!;
    await opensearch.send(new DeletePackageCommand({ PackageID: unused }));
    expect((await failure(opensearch.send(new DescribeDomainCommand({ DomainName: 'absent' })))).name).toBe(
      'ResourceNotFoundException',
    );
    expect(
      (
        await failure(
          opensearch.send(
            new CreatePackageCommand({ PackageName: 'X', PackageType: 'TXT-DICTIONARY', PackageSource: {} }),
          ),
        )
      ).name,
    ).toBe('ValidationException');

    const app = await opensearch.send(
      new CreateApplicationCommand({ name: 'dashboards', clientToken: 'shape-check' }),
    );
    await opensearch.send(new GetApplicationCommand({ id: app.id })); // CREATING
    await h.advance(60_000);
    await opensearch.send(new GetApplicationCommand({ id: app.id })); // ACTIVE, endpoint
    await opensearch.send(new ListApplicationsCommand({}));
    const arn = 'arn:aws:es:us-east-1:123456789012:domain/search';
    await opensearch.send(
      new AttachDataSourceCommand({
        id: app.id,
        dataSourceArn: arn,
        workspaceConfiguration: { name: 'ws', workspaceType: 'SEARCH' },
      }),
    );
    await opensearch.send(new DescribeDataSourceAttachmentCommand({ id: app.id, dataSourceArn: arn }));
    await opensearch.send(new ListDataSourceAttachmentsCommand({ id: app.id }));
    await opensearch.send(new DetachDataSourceCommand({ id: app.id, dataSourceArn: arn }));
    await opensearch.send(new DeleteApplicationCommand({ id: app.id }));
    expect((await failure(opensearch.send(new GetApplicationCommand({ id: app.id! })))).name).toBe(
      'ResourceNotFoundException',
    );
    await opensearch.send(new DeleteDomainCommand({ DomainName: 'fresh' }));
  });

  it('legacy Elasticsearch 2015-01-01: domains and packages in its own shapes', async () => {
    await h.putObject('staging', 'stopwords.txt', 'a\nthe\n');
    await h.putObject('staging', 'stopwords-2.txt', 'a\nan\nthe\n');
    const { DomainStatus } = await es.send(
      new CreateElasticsearchDomainCommand({
        DomainName: 'legacy',
        ElasticsearchVersion: '7.10',
        ElasticsearchClusterConfig: { InstanceType: 'r5.large.elasticsearch', InstanceCount: 2 },
      }),
    );
    expect(DomainStatus).toMatchObject({ ElasticsearchVersion: '7.10', Processing: true });
    await h.advance(600_000);
    const described = await es.send(new DescribeElasticsearchDomainCommand({ DomainName: 'legacy' }));
    expect(described.DomainStatus).toMatchObject({
      ElasticsearchClusterConfig: { InstanceType: 'r5.large.elasticsearch', InstanceCount: 2 },
      Processing: false,
    });
    await h.control.seedDomains([{ name: 'modern' }]);
    const both = await es.send(
      new DescribeElasticsearchDomainsCommand({ DomainNames: ['legacy', 'modern'] }),
    );
    expect(both.DomainStatusList!.map((d) => d.ElasticsearchVersion)).toEqual(['7.10', 'OpenSearch_2.19']);
    const names = await es.send(new EsListDomainNamesCommand({}));
    expect(names.DomainNames!.map((d) => d.DomainName).sort()).toEqual(['legacy', 'modern']);

    const created = await es.send(
      new EsModel.CreatePackageCommand({
        PackageName: 'stopwords',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'staging', S3Key: 'stopwords.txt' },
      }),
    );
    const id = created.PackageDetails!.PackageID!;
    await h.advance(120_000);
    await es.send(new EsModel.DescribePackagesCommand({ Filters: [{ Name: 'PackageID', Value: [id] }] }));
    await es.send(new EsModel.AssociatePackageCommand({ PackageID: id, DomainName: 'legacy' }));
    await h.advance(120_000);
    await es.send(new EsModel.ListPackagesForDomainCommand({ DomainName: 'legacy' }));
    await es.send(new EsModel.ListDomainsForPackageCommand({ PackageID: id }));
    await es.send(
      new EsModel.UpdatePackageCommand({
        PackageID: id,
        PackageSource: { S3BucketName: 'staging', S3Key: 'stopwords-2.txt' },
        CommitMessage: 'add an',
      }),
    );
    await h.advance(120_000);
    await es.send(new EsModel.GetPackageVersionHistoryCommand({ PackageID: id }));
    await es.send(new EsModel.DissociatePackageCommand({ PackageID: id, DomainName: 'legacy' }));
    await h.advance(120_000);
    await es.send(new EsModel.DeletePackageCommand({ PackageID: id }));
    expect(
      (await failure(es.send(new DescribeElasticsearchDomainCommand({ DomainName: 'absent' })))).name,
    ).toBe('ResourceNotFoundException');
    await es.send(new DeleteElasticsearchDomainCommand({ DomainName: 'legacy' }));
  });

  it('IoT software package catalog', async () => {
    const token = (step: string) => `shape-check-${step}-0000000000000000000000000000`;
    await iot.send(
      new IotCreatePackageCommand({ packageName: 'firmware', description: 'fw', clientToken: token('a') }),
    );
    await iot.send(new IotCreatePackageCommand({ packageName: 'agent', clientToken: token('b') }));
    await iot.send(new ListPackagesCommand({}));
    const page = await iot.send(new ListPackagesCommand({ maxResults: 1 }));
    expect(page.packageSummaries!.map((p) => p.packageName)).toEqual(['firmware']);
    const next = await iot.send(new ListPackagesCommand({ maxResults: 1, nextToken: page.nextToken }));
    expect(next.packageSummaries!.map((p) => p.packageName)).toEqual(['agent']);
    expect(next.nextToken).toBeUndefined();
    await iot.send(
      new CreatePackageVersionCommand({
        packageName: 'firmware',
        versionName: '1.0.0',
        description: 'first',
        attributes: { board: 'a1' },
        artifact: { s3Location: { bucket: 'staging', key: 'fw.bin', version: '1' } },
        recipe: '{}',
      }),
    );
    await iot.send(new GetPackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0' }));
    await iot.send(
      new UpdatePackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0', action: 'PUBLISH' }),
    );
    await iot.send(new IotUpdatePackageCommand({ packageName: 'firmware', defaultVersionName: '1.0.0' }));
    await iot.send(new GetPackageCommand({ packageName: 'firmware' }));
    await iot.send(new ListPackagesCommand({}));
    await iot.send(new ListPackageVersionsCommand({ packageName: 'firmware', status: 'PUBLISHED' }));
    const conflict = await failure(
      iot.send(new CreatePackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0' })),
    );
    expect(conflict.name).toBe('ConflictException');
    expect((await failure(iot.send(new GetPackageCommand({ packageName: 'absent' })))).name).toBe(
      'ResourceNotFoundException',
    );
    await iot.send(new IotUpdatePackageCommand({ packageName: 'firmware', unsetDefaultVersion: true }));
    await iot.send(new DeletePackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0' }));
    await iot.send(new IotDeletePackageCommand({ packageName: 'firmware' }));
  });

  it('S3', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'shapes' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'shapes' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'shapes', Key: 'dir/a.txt', Body: 'a', Metadata: { k: 'v' } }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'shapes', Key: 'b.txt', Body: 'b' }));
    await s3.send(new HeadObjectCommand({ Bucket: 'shapes', Key: 'dir/a.txt' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'shapes', Key: 'c.txt', CopySource: 'shapes/b.txt' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'shapes', Key: 'c.txt' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'shapes', Key: 'b.txt' }));
    expect(await got.Body!.transformToString()).toBe('b');
    await s3.send(new ListBucketsCommand({}));
    await s3.send(new ListObjectsV2Command({ Bucket: 'shapes', Delimiter: '/' }));
    const first = await s3.send(new ListObjectsV2Command({ Bucket: 'shapes', MaxKeys: 1 }));
    await s3.send(
      new ListObjectsV2Command({ Bucket: 'shapes', ContinuationToken: first.NextContinuationToken }),
    );
    expect((await failure(s3.send(new DeleteBucketCommand({ Bucket: 'shapes' })))).name).toBe(
      'BucketNotEmpty',
    );
    expect((await failure(s3.send(new GetBucketPolicyCommand({ Bucket: 'shapes' })))).name).toBe(
      'NoSuchBucketPolicy',
    );
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::210987654321:role/shapes' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::shapes/*',
        },
      ],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'shapes', Policy: policy }));
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: 'shapes' }))).Policy).toBe(policy);
    expect(
      (await failure(s3.send(new PutBucketPolicyCommand({ Bucket: 'shapes', Policy: '{"Statement": []' }))))
        .name,
    ).toBe('MalformedPolicy');
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'shapes' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'shapes', Key: 'dir/a.txt' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'shapes', Key: 'b.txt' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'shapes' }));
    expect((await failure(s3.send(new HeadBucketCommand({ Bucket: 'shapes' })))).status).toBe(404);
  });

  it('STS', async () => {
    const role = 'arn:aws:iam::210987654321:role/shapes';
    await h.control.registerRoles([{ arn: role, externalId: 'shape-check' }]);
    await sts.send(new GetCallerIdentityCommand({}));
    const assumed = await sts.send(
      new AssumeRoleCommand({ RoleArn: role, RoleSessionName: 'shapes', ExternalId: 'shape-check' }),
    );
    expect(assumed.Credentials!.Expiration).toBeInstanceOf(Date);
    expect(
      (await failure(sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: 'shapes' })))).name,
    ).toBe('AccessDenied');
    expect(
      (
        await failure(
          sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: 's', ExternalId: 'shape-check' })),
        )
      ).name,
    ).toBe('ValidationError');
  });

  it('every answer matches its model, and every routed operation was answered', () => {
    expect(recorded.flatMap(problemsOf)).toEqual([]);
    const answered = new Set(
      recorded.filter((r) => r.status < 300).map((r) => `${r.service}:${r.operation}`),
    );
    const routed = [
      ...OPENSEARCH_ROUTES.map(
        (r) => `${r.apiVersion === '2015-01-01' ? 'es' : 'opensearch'}:${r.operation}`,
      ),
      ...IOT_ROUTES.map((r) => `iot:${r.operation}`),
      ...S3_OPERATIONS.map((o) => `s3:${o}`),
      'sts:AssumeRole',
      'sts:GetCallerIdentity',
    ];
    expect([...new Set(routed)].filter((op) => !answered.has(op))).toEqual([]);
    console.log(
      `shape check: ${recorded.length} answers (${recorded.filter((r) => r.status >= 300).length} errors) of ${answered.size} operations checked`,
    );
  });
});

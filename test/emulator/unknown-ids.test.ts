import {
  CreatePackageVersionCommand,
  DeletePackageCommand as IotDeletePackageCommand,
  DeletePackageVersionCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
  ListPackageVersionsCommand,
  UpdatePackageCommand as IotUpdatePackageCommand,
  UpdatePackageVersionCommand,
} from '@aws-sdk/client-iot';
import {
  AssociatePackageCommand,
  DeleteDomainCommand,
  DeletePackageCommand,
  DescribeDataSourceAttachmentCommand,
  DescribeDomainCommand,
  DetachDataSourceCommand,
  DissociatePackageCommand,
  GetApplicationCommand,
  GetPackageVersionHistoryCommand,
  ListDataSourceAttachmentsCommand,
  ListDomainsForPackageCommand,
  ListPackagesForDomainCommand,
  UpdatePackageCommand,
  AttachDataSourceCommand,
} from '@aws-sdk/client-opensearch';
import { describe, expect, it } from 'vitest';
import { failure, useEmulator } from './harness.js';

/**
 * Checklist sweep: every operation that names a resource answers ResourceNotFoundException for an
 * id nobody created, in the SDK's error shape (code from x-amzn-ErrorType, message from the body).
 */
const h = useEmulator();
const DOMAIN_ARN = 'arn:aws:es:us-east-1:123456789012:domain/seeded-a';
const NOT_FOUND = { name: 'ResourceNotFoundException', message: expect.stringMatching(/\S/) as unknown };

describe('unknown ids answer ResourceNotFoundException', () => {
  it('OpenSearch domains and packages', async () => {
    await h.control.seedDomains([{ name: 'seeded-a' }]);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['DescribeDomain', () => h.opensearch.send(new DescribeDomainCommand({ DomainName: 'no-such' }))],
      ['DeleteDomain', () => h.opensearch.send(new DeleteDomainCommand({ DomainName: 'no-such' }))],
      [
        'UpdatePackage',
        () =>
          h.opensearch.send(
            new UpdatePackageCommand({
              PackageID: 'F404',
              PackageSource: { S3BucketName: 'staging', S3Key: 'k' },
            }),
          ),
      ],
      ['DeletePackage', () => h.opensearch.send(new DeletePackageCommand({ PackageID: 'F404' }))],
      [
        'AssociatePackage (package)',
        () => h.opensearch.send(new AssociatePackageCommand({ PackageID: 'F404', DomainName: 'seeded-a' })),
      ],
      [
        'DissociatePackage (package)',
        () => h.opensearch.send(new DissociatePackageCommand({ PackageID: 'F404', DomainName: 'seeded-a' })),
      ],
      [
        'DissociatePackage (domain)',
        () => h.opensearch.send(new DissociatePackageCommand({ PackageID: 'F404', DomainName: 'no-such' })),
      ],
      [
        'ListDomainsForPackage',
        () => h.opensearch.send(new ListDomainsForPackageCommand({ PackageID: 'F404' })),
      ],
      [
        'ListPackagesForDomain',
        () => h.opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'no-such' })),
      ],
      [
        'GetPackageVersionHistory',
        () => h.opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: 'F404' })),
      ],
    ];
    for (const [label, call] of calls) {
      expect({ label, ...(await failure(call())) }).toMatchObject({ label, ...NOT_FOUND });
    }
  });

  it('OpenSearch applications and attachments', async () => {
    const id = 'deadbeef0000';
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['GetApplication', () => h.opensearch.send(new GetApplicationCommand({ id }))],
      [
        'AttachDataSource',
        () => h.opensearch.send(new AttachDataSourceCommand({ id, dataSourceArn: DOMAIN_ARN })),
      ],
      [
        'DescribeDataSourceAttachment',
        () => h.opensearch.send(new DescribeDataSourceAttachmentCommand({ id, dataSourceArn: DOMAIN_ARN })),
      ],
      [
        'DetachDataSource',
        () => h.opensearch.send(new DetachDataSourceCommand({ id, dataSourceArn: DOMAIN_ARN })),
      ],
      ['ListDataSourceAttachments', () => h.opensearch.send(new ListDataSourceAttachmentsCommand({ id }))],
    ];
    for (const [label, call] of calls) {
      expect({ label, ...(await failure(call())) }).toMatchObject({ label, ...NOT_FOUND });
    }
  });

  it('IoT packages and versions', async () => {
    const packageName = 'no-such-package';
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['GetPackage', () => h.iot.send(new GetPackageCommand({ packageName }))],
      [
        'UpdatePackage',
        () => h.iot.send(new IotUpdatePackageCommand({ packageName, defaultVersionName: 'v1' })),
      ],
      [
        'CreatePackageVersion',
        () => h.iot.send(new CreatePackageVersionCommand({ packageName, versionName: 'v1' })),
      ],
      [
        'GetPackageVersion',
        () => h.iot.send(new GetPackageVersionCommand({ packageName, versionName: 'v1' })),
      ],
      [
        'UpdatePackageVersion',
        () =>
          h.iot.send(new UpdatePackageVersionCommand({ packageName, versionName: 'v1', action: 'PUBLISH' })),
      ],
      ['ListPackageVersions', () => h.iot.send(new ListPackageVersionsCommand({ packageName }))],
    ];
    for (const [label, call] of calls) {
      expect({ label, ...(await failure(call())) }).toMatchObject({ label, ...NOT_FOUND, status: 404 });
    }
  });

  it('IoT deletes of what is not there succeed (the model lists no ResourceNotFoundException for them)', async () => {
    await expect(
      h.iot.send(new IotDeletePackageCommand({ packageName: 'no-such-package' })),
    ).resolves.toBeDefined();
    await expect(
      h.iot.send(new DeletePackageVersionCommand({ packageName: 'no-such-package', versionName: 'v1' })),
    ).resolves.toBeDefined();
  });
});

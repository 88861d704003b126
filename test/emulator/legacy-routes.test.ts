import { describe, expect, it } from 'vitest';
import { useEmulator } from './harness.js';

const h = useEmulator(
  {},
  { packageCopyingMs: 0, packageValidatingMs: 0, associationMs: 0, dissociationMs: 0 },
);

/** Raw requests as another SDK would send them: a SigV4-shaped header, unsigned (model-shapes.test.ts drives the legacy client). */
async function es(method: string, path: string, body?: unknown) {
  const response = await fetch(`${h.emulator.url}${path}`, {
    method,
    headers: {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/es/aws4_request, SignedHeaders=host, Signature=00',
      'content-type': 'application/json',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    requestId: response.headers.get('x-amzn-requestid'),
    // Raw wire JSON, shape checked by the assertions themselves.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json: (await response.json()) as Record<string, any>,
  };
}

describe('legacy Elasticsearch 2015-01-01 package routes', () => {
  it('serve the same package operations and shapes', async () => {
    await h.control.seedDomains([{ name: 'legacy-domain', engineVersion: 'Elasticsearch_7.10' }]);
    await h.putObject('staging', 'stopwords.txt', 'a\nthe\n');

    const created = await es('POST', '/2015-01-01/packages', {
      PackageName: 'stopwords',
      PackageType: 'TXT-DICTIONARY',
      PackageSource: { S3BucketName: 'staging', S3Key: 'stopwords.txt' },
    });
    expect(created.status).toBe(200);
    expect(created.requestId).toBeTruthy();
    const id = created.json.PackageDetails.PackageID as string;
    expect(id).toMatch(/^F\d+$/);
    expect(typeof created.json.PackageDetails.CreatedAt).toBe('number');

    const described = await es('POST', '/2015-01-01/packages/describe', {
      Filters: [{ Name: 'PackageName', Value: ['stopwords'] }],
    });
    expect(described.json.PackageDetailsList[0]).toMatchObject({ PackageID: id, PackageStatus: 'AVAILABLE' });

    const associated = await es('POST', `/2015-01-01/packages/associate/${id}/legacy-domain`);
    expect(associated.json.DomainPackageDetails).toMatchObject({
      DomainName: 'legacy-domain',
      PackageVersion: 'v1',
      ReferencePath: `analyzers/${id}`,
    });
    const forDomain = await es('GET', '/2015-01-01/domain/legacy-domain/packages');
    expect(forDomain.json.DomainPackageDetailsList[0]).toMatchObject({
      PackageID: id,
      DomainPackageStatus: 'ACTIVE',
    });
    const forPackage = await es('GET', `/2015-01-01/packages/${id}/domains?maxResults=10`);
    expect(forPackage.json.DomainPackageDetailsList).toHaveLength(1);

    await h.putObject('staging', 'stopwords-2.txt', 'a\nan\nthe\n');
    const updated = await es('POST', '/2015-01-01/packages/update', {
      PackageID: id,
      PackageSource: { S3BucketName: 'staging', S3Key: 'stopwords-2.txt' },
      CommitMessage: 'add an',
    });
    expect(updated.json.PackageDetails.AvailablePackageVersion).toBe('v2');
    const history = await es('GET', `/2015-01-01/packages/${id}/history`);
    expect(
      history.json.PackageVersionHistoryList.map((v: { PackageVersion: string }) => v.PackageVersion),
    ).toEqual(['v2', 'v1']);

    const dissociated = await es('POST', `/2015-01-01/packages/dissociate/${id}/legacy-domain`);
    expect(dissociated.json.DomainPackageDetails.DomainPackageStatus).toBe('DISSOCIATING');
    const deleted = await es('DELETE', `/2015-01-01/packages/${id}`);
    expect(deleted.status).toBe(200);

    const calls = await h.control.calls({ service: 'es' });
    expect(calls.map((c) => c.operation)).toEqual([
      'CreatePackage',
      'DescribePackages',
      'AssociatePackage',
      'ListPackagesForDomain',
      'ListDomainsForPackage',
      'UpdatePackage',
      'GetPackageVersionHistory',
      'DissociatePackage',
      'DeletePackage',
    ]);
  });

  it('answer errors with x-amzn-ErrorType and a message body', async () => {
    const missing = await es('DELETE', '/2015-01-01/packages/F000');
    expect(missing.status).toBe(409);
    expect(missing.errorType).toBe('ResourceNotFoundException');
    expect(missing.json.message).toMatch(/F000/);
    const unknown = await es('GET', '/2015-01-01/nothing-here');
    expect(unknown.errorType).toBe('UnknownOperationException');
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeElasticsearchDomainCommand,
  ElasticsearchServiceClient,
} from '@aws-sdk/client-elasticsearch-service';
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DescribeDomainCommand,
  DissociatePackageCommand,
  ListDomainsForPackageCommand,
  UpdatePackageCommand,
} from '@aws-sdk/client-opensearch';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { credentials, failure, useEmulator } from './harness.js';

/**
 * Domains backed by a real OpenSearch node: what the emulator does on its side (endpoint, files in
 * the node's config directory, the refresh request). The node itself is not needed for that: a
 * loopback listener stands in for it only to record the refresh request it receives.
 */

const h = useEmulator();
const SYNONYMS_V1 = Buffer.from('car, automobile\n');
// Bytes that a text round trip would change: the file must hold exactly what was uploaded.
const SYNONYMS_V2 = Buffer.from('car, automobile, auto\r\nvoiture => car\n\u00e9t\u00e9, summer\n', 'utf8');

let node: Server;
let nodeUrl: string;
const received: Array<{ method: string; url: string }> = [];
let configDir: string;

beforeAll(async () => {
  node = createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"_shards":{"total":1,"successful":1,"failed":0},"successful_refresh_details":[]}');
  });
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  nodeUrl = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
});

afterAll(async () => {
  node.closeAllConnections();
  await new Promise((resolve) => node.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  configDir = mkdtempSync(join(tmpdir(), 'emulator-backing-'));
});

afterEach(() => {
  rmSync(configDir, { recursive: true, force: true });
});

async function createPackage(): Promise<string> {
  await h.putObject('staging', 'v1.txt', SYNONYMS_V1);
  const out = await h.opensearch.send(
    new CreatePackageCommand({
      PackageName: 'synonyms',
      PackageType: 'TXT-DICTIONARY',
      PackageSource: { S3BucketName: 'staging', S3Key: 'v1.txt' },
    }),
  );
  await h.advance(120_000);
  return out.PackageDetails!.PackageID!;
}

const statusOn = async (id: string) =>
  (await h.opensearch.send(new ListDomainsForPackageCommand({ PackageID: id }))).DomainPackageDetailsList!;

describe('a domain backed by a node', () => {
  it('answers the node as its endpoint, or in Endpoints.vpc for a VPC domain, on both API versions', async () => {
    await h.control.seedDomains([{ name: 'public' }, { name: 'private' }]);
    await h.control.backDomain('public', { endpoint: nodeUrl, configDir });
    await h.control.backDomain('private', { endpoint: `${nodeUrl}/`, configDir, vpc: true });
    const open = await h.opensearch.send(new DescribeDomainCommand({ DomainName: 'public' }));
    expect(open.DomainStatus!.Endpoint).toBe(nodeUrl);
    expect(open.DomainStatus!.Endpoints).toBeUndefined();
    const vpc = await h.opensearch.send(new DescribeDomainCommand({ DomainName: 'private' }));
    expect(vpc.DomainStatus!.Endpoint).toBeUndefined();
    expect(vpc.DomainStatus!.Endpoints).toEqual({ vpc: nodeUrl });
    expect(vpc.DomainStatus!.VPCOptions!.VPCId).toBeTruthy();

    const es = new ElasticsearchServiceClient({ endpoint: h.emulator.url, region: 'us-east-1', credentials });
    try {
      const legacy = await es.send(new DescribeElasticsearchDomainCommand({ DomainName: 'private' }));
      expect(legacy.DomainStatus!.Endpoints).toEqual({ vpc: nodeUrl });
    } finally {
      es.destroy();
    }

    await h.control.backDomain('public', null);
    const unbacked = await h.opensearch.send(new DescribeDomainCommand({ DomainName: 'public' }));
    expect(unbacked.DomainStatus!.Endpoint).toMatch(/^search-public-.*\.es\.amazonaws\.com$/);
  });

  it('writes the exact bytes of the ACTIVE version to <configDir>/<ReferencePath>, and removes them on dissociation', async () => {
    await h.control.seedDomains([{ name: 'search' }]);
    await h.control.backDomain('search', { endpoint: nodeUrl, configDir });
    const id = await createPackage();
    const associated = await h.opensearch.send(
      new AssociatePackageCommand({ PackageID: id, DomainName: 'search' }),
    );
    const file = join(configDir, associated.DomainPackageDetails!.ReferencePath!);
    expect(file).toBe(join(configDir, 'analyzers', id));
    expect((await statusOn(id))[0]!.DomainPackageStatus).toBe('ASSOCIATING');
    expect(existsSync(file)).toBe(false);

    await h.advance(120_000);
    // The request that first shows ACTIVE finds the file already written.
    expect((await statusOn(id))[0]!.DomainPackageStatus).toBe('ACTIVE');
    expect(readFileSync(file)).toEqual(SYNONYMS_V1);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]).toEqual({ method: 'POST', url: '/_plugins/_refresh_search_analyzers/*' });

    // A new version: the domain keeps v1's file until v2 is ACTIVE there.
    await h.putObject('staging', 'v2.txt', SYNONYMS_V2);
    await h.opensearch.send(
      new UpdatePackageCommand({
        PackageID: id,
        PackageSource: { S3BucketName: 'staging', S3Key: 'v2.txt' },
      }),
    );
    await h.advance(120_000);
    await h.opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'search' }));
    expect(readFileSync(file)).toEqual(SYNONYMS_V1);
    await h.advance(120_000);
    // No request this time: the emulator's own tick writes it.
    await vi.waitFor(() => expect(readFileSync(file)).toEqual(SYNONYMS_V2));
    await vi.waitFor(() => expect(received).toHaveLength(2));

    await h.opensearch.send(new DissociatePackageCommand({ PackageID: id, DomainName: 'search' }));
    expect(existsSync(file)).toBe(true); // DISSOCIATING: still on the domain
    await h.advance(60_000);
    expect(await statusOn(id)).toEqual([]);
    expect(existsSync(file)).toBe(false);
    await vi.waitFor(() => expect(received).toHaveLength(3));
    const state = await h.control.state();
    expect(state.opensearch.domains[0]!.configuration.backing).toEqual({ endpoint: nodeUrl, configDir });
  });

  it('an unreachable node or an older Elasticsearch never fails the association', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    await h.control.seedDomains([{ name: 'gone' }, { name: 'old', engineVersion: 'Elasticsearch_7.7' }]);
    await h.control.backDomain('gone', { endpoint: deadUrl, configDir: join(configDir, 'gone') });
    await h.control.backDomain('old', { endpoint: nodeUrl, configDir: join(configDir, 'old') });
    await h.control.setDurations({ associationMs: 0 });
    const id = await createPackage();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await h.opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'gone' }));
      await h.opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'old' }));
      expect((await statusOn(id)).map((r) => r.DomainPackageStatus)).toEqual(['ACTIVE', 'ACTIVE']);
      expect(readFileSync(join(configDir, 'gone', 'analyzers', id))).toEqual(SYNONYMS_V1);
      expect(readFileSync(join(configDir, 'old', 'analyzers', id))).toEqual(SYNONYMS_V1);
      await vi.waitFor(() =>
        expect(errors.mock.calls.flat().join('\n')).toMatch(
          /gone: POST .*_refresh_search_analyzers.* failed/,
        ),
      );
      expect(received).toEqual([]); // Elasticsearch 7.7 predates the refresh API
    } finally {
      errors.mockRestore();
    }
  });

  it('refuses a backing it cannot use', async () => {
    await h.control.seedDomains([{ name: 'search' }]);
    await expect(
      h.control.backDomain('search', { endpoint: nodeUrl, configDir: 'relative/dir' }),
    ).rejects.toThrow(/configDir must be an absolute path/);
    await expect(h.control.backDomain('search', { endpoint: 'ftp://node', configDir })).rejects.toThrow(
      /endpoint must be an http\(s\) URL/,
    );
    await expect(h.control.backDomain('absent', { endpoint: nodeUrl, configDir })).rejects.toThrow(/404/);
    expect((await failure(h.opensearch.send(new DescribeDomainCommand({ DomainName: 'absent' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });
});

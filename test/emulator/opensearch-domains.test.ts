import {
  CreateDomainCommand,
  DeleteDomainCommand,
  DescribeDomainCommand,
  ListDomainNamesCommand,
} from '@aws-sdk/client-opensearch';
import { describe, expect, it } from 'vitest';
import { failure, useEmulator } from './harness.js';

const h = useEmulator();

describe('OpenSearch domains', () => {
  it('CreateDomain: Processing for domainProcessingMs, then active with an endpoint', async () => {
    const created = await h.opensearch.send(
      new CreateDomainCommand({ DomainName: 'search-new', EngineVersion: 'OpenSearch_2.17' }),
    );
    expect(created.DomainStatus).toMatchObject({
      DomainName: 'search-new',
      DomainId: '123456789012/search-new',
      ARN: 'arn:aws:es:us-east-1:123456789012:domain/search-new',
      Processing: true,
      EngineVersion: 'OpenSearch_2.17',
      Created: true,
      Deleted: false,
    });
    expect(created.DomainStatus!.Endpoint).toBeUndefined();
    await h.advance(595_000);
    const stillProcessing = await h.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-new' }));
    expect(stillProcessing.DomainStatus!.Processing).toBe(true);
    await h.advance(5_000);
    const ready = await h.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-new' }));
    expect(ready.DomainStatus).toMatchObject({ Processing: false, DomainProcessingStatus: 'Active' });
    expect(ready.DomainStatus!.Endpoint).toMatch(
      /^search-search-new-[0-9a-f]+\.us-east-1\.es\.amazonaws\.com$/,
    );
  });

  it('seeded domains are active at once', async () => {
    expect(await h.control.seedDomains([{ name: 'seeded-a' }, { name: 'seeded-b' }])).toEqual([
      'seeded-a',
      'seeded-b',
    ]);
    expect(await h.control.seedDomains([{ name: 'seeded-a' }])).toEqual([]);
    const out = await h.opensearch.send(new DescribeDomainCommand({ DomainName: 'seeded-a' }));
    expect(out.DomainStatus!.Processing).toBe(false);
  });

  it('ListDomainNames lists every domain with its engine type, and filters by it', async () => {
    await h.control.seedDomains([
      { name: 'os-domain' },
      { name: 'es-domain', engineVersion: 'Elasticsearch_7.10' },
    ]);
    const all = await h.opensearch.send(new ListDomainNamesCommand({}));
    expect(all.DomainNames).toEqual([
      { DomainName: 'os-domain', EngineType: 'OpenSearch' },
      { DomainName: 'es-domain', EngineType: 'Elasticsearch' },
    ]);
    const es = await h.opensearch.send(new ListDomainNamesCommand({ EngineType: 'Elasticsearch' }));
    expect(es.DomainNames!.map((d) => d.DomainName)).toEqual(['es-domain']);
  });

  it('DeleteDomain answers Deleted=true and the domain is gone', async () => {
    await h.control.seedDomains([{ name: 'short-lived' }]);
    const out = await h.opensearch.send(new DeleteDomainCommand({ DomainName: 'short-lived' }));
    expect(out.DomainStatus).toMatchObject({ DomainName: 'short-lived', Deleted: true });
    const err = await failure(h.opensearch.send(new DescribeDomainCommand({ DomainName: 'short-lived' })));
    expect(err).toMatchObject({ name: 'ResourceNotFoundException', status: 409 });
    expect(
      await failure(h.opensearch.send(new DeleteDomainCommand({ DomainName: 'short-lived' }))),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('answers ResourceAlreadyExistsException for a duplicate and ValidationException for bad names', async () => {
    await h.control.seedDomains([{ name: 'taken' }]);
    expect(await failure(h.opensearch.send(new CreateDomainCommand({ DomainName: 'taken' })))).toMatchObject({
      name: 'ResourceAlreadyExistsException',
    });
    for (const [name, message] of [
      ['Upper', /regular expression pattern/],
      ['ab', /greater than or equal to 3/],
      ['a'.repeat(29), /less than or equal to 28/],
      ['1starts-with-digit', /regular expression pattern/],
    ] as const) {
      const err = await failure(h.opensearch.send(new CreateDomainCommand({ DomainName: name })));
      expect(err).toMatchObject({ name: 'ValidationException', status: 400, message });
    }
    const engine = await failure(
      h.opensearch.send(new CreateDomainCommand({ DomainName: 'bad-engine', EngineVersion: 'Solr_9.0' })),
    );
    expect(engine.name).toBe('ValidationException');
    await expect(h.control.seedDomains([{ name: 'Bad_Name' }])).rejects.toThrow(/400/);
  });
});

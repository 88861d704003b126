import {
  AttachDataSourceCommand,
  CreateApplicationCommand,
  CreateDomainCommand,
  DescribeDataSourceAttachmentCommand,
  DetachDataSourceCommand,
  GetApplicationCommand,
  ListApplicationsCommand,
  ListDataSourceAttachmentsCommand,
} from '@aws-sdk/client-opensearch';
import { describe, expect, it } from 'vitest';
import { failure, useEmulator } from './harness.js';

const h = useEmulator();
const domainArn = (name: string) => `arn:aws:es:us-east-1:123456789012:domain/${name}`;
const DAY = 24 * 60 * 60 * 1000;

async function application(name = 'dashboards', active = true): Promise<string> {
  const out = await h.opensearch.send(new CreateApplicationCommand({ name }));
  if (active) await h.advance(30_000);
  return out.id!;
}

const attach = (id: string, dataSourceArn: string, extra: object = {}) =>
  h.opensearch.send(new AttachDataSourceCommand({ id, dataSourceArn, ...extra }));
const describeAttachment = (id: string, dataSourceArn: string) =>
  h.opensearch.send(new DescribeDataSourceAttachmentCommand({ id, dataSourceArn }));
const detach = (id: string, dataSourceArn: string) =>
  h.opensearch.send(new DetachDataSourceCommand({ id, dataSourceArn }));

describe('CreateApplication and GetApplication', () => {
  it('goes CREATING -> ACTIVE with an endpoint', async () => {
    const created = await h.opensearch.send(new CreateApplicationCommand({ name: 'dashboards' }));
    expect(created).toMatchObject({ name: 'dashboards' });
    expect(created.arn).toBe(`arn:aws:opensearch:us-east-1:123456789012:application/${created.id}`);
    expect(created.createdAt).toBeInstanceOf(Date);
    const creating = await h.opensearch.send(new GetApplicationCommand({ id: created.id }));
    expect(creating).toMatchObject({ id: created.id, name: 'dashboards', status: 'CREATING' });
    expect(creating.endpoint).toBeUndefined();
    await h.advance(30_000);
    const active = await h.opensearch.send(new GetApplicationCommand({ id: created.id }));
    expect(active.status).toBe('ACTIVE');
    expect(active.endpoint).toContain(created.id!);
  });

  it('answers ConflictException for a duplicate name, but replays the same clientToken', async () => {
    const first = await h.opensearch.send(
      new CreateApplicationCommand({ name: 'dashboards', clientToken: 'tok-1' }),
    );
    const replay = await h.opensearch.send(
      new CreateApplicationCommand({ name: 'dashboards', clientToken: 'tok-1' }),
    );
    expect(replay.id).toBe(first.id);
    const err = await failure(h.opensearch.send(new CreateApplicationCommand({ name: 'dashboards' })));
    expect(err).toMatchObject({ name: 'ConflictException', status: 409 });
  });

  it('answers ValidationException for a bad name and ResourceNotFoundException for an unknown id', async () => {
    expect(
      await failure(h.opensearch.send(new CreateApplicationCommand({ name: 'Dash Boards' }))),
    ).toMatchObject({
      name: 'ValidationException',
    });
    expect(await failure(h.opensearch.send(new GetApplicationCommand({ id: 'nope' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('AttachDataSource', () => {
  it('is ATTACHED at once when the application and the domain are both ACTIVE', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application();
    const out = await attach(id, domainArn('logs'));
    expect(out).toMatchObject({ id, dataSourceArn: domainArn('logs'), status: 'ATTACHED' });
    expect(out.attachmentId).toBeTruthy();
    expect(out.arn).toContain(id);
  });

  it('stays PENDING while the application is CREATING, then ATTACHED', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application('dashboards', false);
    expect((await attach(id, domainArn('logs'))).status).toBe('PENDING');
    await h.advance(30_000);
    expect((await describeAttachment(id, domainArn('logs'))).status).toBe('ATTACHED');
  });

  it('stays PENDING while the domain is processing, then ATTACHED', async () => {
    const id = await application();
    await h.opensearch.send(new CreateDomainCommand({ DomainName: 'fresh' }));
    expect((await attach(id, domainArn('fresh'))).status).toBe('PENDING');
    await h.advance(600_000);
    expect((await describeAttachment(id, domainArn('fresh'))).status).toBe('ATTACHED');
  });

  it('goes FAILED when still PENDING after 24 hours of the emulator clock; a new attach starts over', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    await h.control.setDataSourceStatus(domainArn('logs'), 'CREATING');
    const id = await application();
    const first = await attach(id, domainArn('logs'));
    expect(first.status).toBe('PENDING');
    await h.advance(DAY - 60_000);
    expect((await describeAttachment(id, domainArn('logs'))).status).toBe('PENDING');
    await h.advance(60_000);
    expect((await describeAttachment(id, domainArn('logs'))).status).toBe('FAILED');

    await h.control.setDataSourceStatus(domainArn('logs'), 'ACTIVE');
    const second = await attach(id, domainArn('logs'));
    expect(second.attachmentId).not.toBe(first.attachmentId);
    expect(second.status).toBe('ATTACHED');
  });

  it('shows the 24 h expiry in seconds of real time with a scaled clock', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    await h.control.setDataSourceStatus(domainArn('logs'), 'PROCESSING');
    const id = await application();
    await attach(id, domainArn('logs'));
    await h.control.setClock({ scale: 100 * DAY });
    // 1 ms of real time is 100 days of emulator time.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await describeAttachment(id, domainArn('logs'))).status).toBe('FAILED');
  });

  it('becomes ATTACHED when the data source turns ACTIVE before the expiry', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    await h.control.setDataSourceStatus(domainArn('logs'), 'CREATING');
    const id = await application();
    await attach(id, domainArn('logs'));
    await h.advance(DAY / 2);
    await h.control.setDataSourceStatus(domainArn('logs'), 'ACTIVE');
    await h.advance(DAY);
    expect((await describeAttachment(id, domainArn('logs'))).status).toBe('ATTACHED');
  });

  it('fails a pending attachment when the application is marked FAILED', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application('dashboards', false);
    await attach(id, domainArn('logs'));
    await h.control.setApplicationStatus('dashboards', 'FAILED');
    expect((await describeAttachment(id, domainArn('logs'))).status).toBe('FAILED');
  });

  it('returns the existing attachment for the same application and data source', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application('dashboards', false);
    const first = await attach(id, domainArn('logs'));
    const second = await attach(id, domainArn('logs'));
    expect(second.attachmentId).toBe(first.attachmentId);
    const listed = await h.opensearch.send(new ListDataSourceAttachmentsCommand({ id }));
    expect(listed.attachments).toHaveLength(1);
  });

  it('accepts the application name as id', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application();
    const out = await attach('dashboards', domainArn('logs'));
    expect(out.id).toBe(id);
  });

  it('answers ValidationException for workspaceId together with workspaceConfiguration, and for bad workspaces', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application();
    const both = await failure(
      attach(id, domainArn('logs'), {
        workspaceId: 'ws-1',
        workspaceConfiguration: { name: 'Logs', workspaceType: 'OBSERVABILITY' },
      }),
    );
    expect(both).toMatchObject({ name: 'ValidationException', status: 400, message: /mutually exclusive/ });
    const badType = await failure(
      attach(id, domainArn('logs'), { workspaceConfiguration: { name: 'Logs', workspaceType: 'GAMES' } }),
    );
    expect(badType.name).toBe('ValidationException');
    const badName = await failure(
      attach(id, domainArn('logs'), {
        workspaceConfiguration: { name: 'a'.repeat(41), workspaceType: 'SEARCH' },
      }),
    );
    expect(badName.name).toBe('ValidationException');
    const ok = await attach(id, domainArn('logs'), {
      workspaceConfiguration: { name: 'Logs (prod)', workspaceType: 'SEARCH' },
    });
    expect(ok.status).toBe('ATTACHED');
  });

  it('answers ConflictException when a clientToken is reused with another data source', async () => {
    await h.control.seedDomains([{ name: 'logs' }, { name: 'metrics' }]);
    const id = await application();
    const first = await attach(id, domainArn('logs'), { clientToken: 'attach-1' });
    const replay = await attach(id, domainArn('logs'), { clientToken: 'attach-1' });
    expect(replay.attachmentId).toBe(first.attachmentId);
    const err = await failure(attach(id, domainArn('metrics'), { clientToken: 'attach-1' }));
    expect(err).toMatchObject({ name: 'ConflictException', status: 409 });
  });

  it('answers ResourceNotFoundException for an unknown application or an own-account domain that does not exist', async () => {
    const id = await application();
    expect(await failure(attach('missing-app', domainArn('logs')))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(await failure(attach(id, domainArn('never-created')))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('treats a data source of another account as ACTIVE', async () => {
    const id = await application();
    const foreign = 'arn:aws:es:eu-west-1:999999999999:domain/elsewhere';
    expect((await attach(id, foreign)).status).toBe('ATTACHED');
  });
});

describe('DetachDataSource, DescribeDataSourceAttachment, ListDataSourceAttachments', () => {
  it('detaches an ATTACHED data source', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application();
    await attach(id, domainArn('logs'));
    const out = await detach(id, domainArn('logs'));
    expect(out).toMatchObject({ id, dataSourceArn: domainArn('logs') });
    expect(await failure(describeAttachment(id, domainArn('logs')))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('answers ConflictException while PENDING and ResourceNotFoundException when nothing is attached', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    await h.control.setDataSourceStatus(domainArn('logs'), 'CREATING');
    const id = await application();
    expect(await failure(detach(id, domainArn('logs')))).toMatchObject({ name: 'ResourceNotFoundException' });
    await attach(id, domainArn('logs'));
    expect(await failure(detach(id, domainArn('logs')))).toMatchObject({
      name: 'ConflictException',
      message: /PENDING/,
    });
  });

  it('answers ConflictException unless the application is ACTIVE', async () => {
    await h.control.seedDomains([{ name: 'logs' }]);
    const id = await application();
    await attach(id, domainArn('logs'));
    await h.control.setApplicationStatus(id, 'UPDATING');
    expect(await failure(detach(id, domainArn('logs')))).toMatchObject({
      name: 'ConflictException',
      message: /UPDATING/,
    });
    await h.control.setApplicationStatus(id, 'ACTIVE');
    await detach(id, domainArn('logs'));
  });

  it('lists attachments page by page', async () => {
    const names = ['ds-a', 'ds-b', 'ds-c'];
    await h.control.seedDomains(names.map((name) => ({ name })));
    const id = await application();
    for (const n of names) await attach(id, domainArn(n));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const out = await h.opensearch.send(
        new ListDataSourceAttachmentsCommand({ id, maxResults: 2, nextToken: token }),
      );
      seen.push(...out.attachments!.map((a) => `${a.dataSourceArn} ${a.status}`));
      token = out.nextToken;
    } while (token);
    expect(seen).toEqual(names.map((n) => `${domainArn(n)} ATTACHED`));
  });
});

describe('ListApplications', () => {
  it('lists applications with their status, filters by status, and pages', async () => {
    const first = await application('dash-a', false);
    await h.advance(30_000); // dash-a ACTIVE
    const second = await application('dash-b', false); // CREATING
    const all = await h.opensearch.send(new ListApplicationsCommand({}));
    expect(all.ApplicationSummaries?.map((a) => [a.id, a.name, a.status])).toEqual([
      [first, 'dash-a', 'ACTIVE'],
      [second, 'dash-b', 'CREATING'],
    ]);
    const creating = await h.opensearch.send(new ListApplicationsCommand({ statuses: ['CREATING'] }));
    expect(creating.ApplicationSummaries?.map((a) => a.id)).toEqual([second]);
    const page1 = await h.opensearch.send(new ListApplicationsCommand({ maxResults: 1 }));
    expect(page1.ApplicationSummaries?.map((a) => a.id)).toEqual([first]);
    expect(page1.nextToken).toBeTruthy();
    const page2 = await h.opensearch.send(
      new ListApplicationsCommand({ maxResults: 1, nextToken: page1.nextToken }),
    );
    expect(page2.ApplicationSummaries?.map((a) => a.id)).toEqual([second]);
    expect(page2.nextToken).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import {
  ATTACHMENT_WAIT_LIMIT_MAX_SECONDS,
  attachmentClientToken,
  dataSourceAttachmentInput,
  dataSourceAttachmentWorkflowId,
  dataSourceKind,
  workspaceOf,
} from '../../src/model/data-source-attachment.js';
import { validate } from '../../src/model/validation.js';

const DOMAIN = 'arn:aws:es:us-east-1:123456789012:domain/logs-prod';
const COLLECTION = 'arn:aws:aoss:eu-west-1:123456789012:collection/07tjusf2h91cunochc';

describe('data source attachment input', () => {
  it('waits 24 hours by default, the limit after which AWS marks a PENDING attachment FAILED', () => {
    const r = validate(dataSourceAttachmentInput, { applicationId: 'app123', dataSourceArn: DOMAIN });
    expect(r).toMatchObject({ ok: true, value: { waitLimitSeconds: 24 * 60 * 60, pollIntervalSeconds: 30 } });
    expect(ATTACHMENT_WAIT_LIMIT_MAX_SECONDS).toBe(86_400);
  });

  it.each([
    ['a domain', DOMAIN, 'domain'],
    ['a domain in GovCloud', 'arn:aws-us-gov:es:us-gov-west-1:123456789012:domain/abc', 'domain'],
    ['a Serverless collection', COLLECTION, 'collection'],
  ])('accepts %s ARN', (_what, arn, kind) => {
    expect(validate(dataSourceAttachmentInput, { applicationName: 'my-app', dataSourceArn: arn }).ok).toBe(
      true,
    );
    expect(dataSourceKind(arn)).toBe(kind);
  });

  it('accepts each workspace option, and neither', () => {
    const base = { applicationId: 'app123', dataSourceArn: DOMAIN };
    for (const workspaceType of ['OBSERVABILITY', 'SECURITY_ANALYTICS', 'SEARCH'] as const) {
      const r = validate(dataSourceAttachmentInput, {
        ...base,
        workspaceConfiguration: { name: 'Ops (EU) [2024]_x-1', workspaceType },
      });
      expect(r.ok && workspaceOf(r.value)).toEqual({
        kind: 'new',
        name: 'Ops (EU) [2024]_x-1',
        workspaceType,
      });
    }
    const existing = validate(dataSourceAttachmentInput, { ...base, workspaceId: 'ws-123_abc' });
    expect(existing.ok && workspaceOf(existing.value)).toEqual({
      kind: 'existing',
      workspaceId: 'ws-123_abc',
    });
    const none = validate(dataSourceAttachmentInput, base);
    expect(none.ok && workspaceOf(none.value)).toEqual({ kind: 'none' });
  });

  const ok = { applicationId: 'app123', dataSourceArn: DOMAIN };
  it.each([
    [{ dataSourceArn: DOMAIN }, 'applicationId', /exactly one of applicationId or applicationName/],
    [{ ...ok, applicationName: 'my-app' }, 'applicationId', /exactly one/],
    [{ ...ok, applicationId: 'App-1' }, 'applicationId', /AWS application id rule/],
    [{ dataSourceArn: DOMAIN, applicationName: '1app' }, 'applicationName', /AWS application name rule/],
    [{ ...ok, dataSourceArn: 'arn:aws:es:us-east-1:123456789012:domain/' }, 'dataSourceArn', /domain ARN/],
    [{ ...ok, dataSourceArn: 'arn:aws:s3:::my-bucket' }, 'dataSourceArn', /Serverless collection ARN/],
    [{ ...ok, dataSourceArn: 'arn:aws:es:us-east-1:12345:domain/logs' }, 'dataSourceArn', /domain ARN/],
    [{ ...ok, dataSourceArn: `${COLLECTION}/extra` }, 'dataSourceArn', /collection ARN/],
    [
      { ...ok, workspaceConfiguration: { name: 'bad/name', workspaceType: 'SEARCH' } },
      'workspaceConfiguration.name',
      /AWS workspace name rule/,
    ],
    [
      { ...ok, workspaceConfiguration: { name: 'x'.repeat(41), workspaceType: 'SEARCH' } },
      'workspaceConfiguration.name',
      /at most 40/,
    ],
    [
      { ...ok, workspaceConfiguration: { name: '', workspaceType: 'SEARCH' } },
      'workspaceConfiguration.name',
      /must not be empty/,
    ],
    [
      { ...ok, workspaceConfiguration: { name: 'ops', workspaceType: 'LOGS' } },
      'workspaceConfiguration.workspaceType',
      /OBSERVABILITY, SECURITY_ANALYTICS, SEARCH/,
    ],
    [
      { ...ok, workspaceId: 'ws-1', workspaceConfiguration: { name: 'ops', workspaceType: 'SEARCH' } },
      'workspaceConfiguration',
      /not both/,
    ],
    [{ ...ok, workspaceId: 'has space' }, 'workspaceId', /spaces/],
    [{ ...ok, waitLimitSeconds: 86_401 }, 'waitLimitSeconds', /24 hours/],
    [{ ...ok, waitLimitSeconds: 0 }, 'waitLimitSeconds', /at least 1/],
    [{ ...ok, waitLimitSeconds: 10, pollIntervalSeconds: 11 }, 'pollIntervalSeconds', /waitLimitSeconds/],
    [{ ...ok, pollIntervalSeconds: 0.01 }, 'pollIntervalSeconds', /at least 0.05/],
    [{ ...ok, clientToken: 'mine' }, '', /clientToken/],
  ])('rejects %o naming %s', (input, field, rule) => {
    const r = validate(dataSourceAttachmentInput, input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const issue = r.issues.find((i) => i.field === field);
    expect(issue?.rule).toMatch(rule);
  });
});

describe('data source attachment identity', () => {
  it('derives the workflow id from the application and the data source only', () => {
    const a = dataSourceAttachmentWorkflowId({ applicationId: 'app123', dataSourceArn: DOMAIN });
    expect(a).toBe(`data-source-attachment/app123/${DOMAIN}`);
    expect(dataSourceAttachmentWorkflowId({ applicationId: 'app123', dataSourceArn: COLLECTION })).not.toBe(
      a,
    );
  });

  it('derives a clientToken of 1-64 characters from the run, the same every time', () => {
    const runId = '0195f3c4-7a1b-7c2d-9e8f-0123456789ab';
    const token = attachmentClientToken(runId);
    expect(token).toBe(attachmentClientToken(runId));
    expect(token.length).toBeGreaterThanOrEqual(1);
    expect(token.length).toBeLessThanOrEqual(64);
    expect(attachmentClientToken('0195f3c4-7a1b-7c2d-9e8f-0123456789ac')).not.toBe(token);
  });
});

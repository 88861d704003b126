import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_CONTRACTS } from '../../src/client/contract.js';
import { WorkflowTypes } from '../../src/model/constants.js';
import { generateSchemas, SCHEMAS_DIR, staleSchemaFiles } from '../../scripts/generate-schemas.js';

describe('JSON Schemas for other languages (schemas/)', () => {
  it('are current: regenerated in memory they equal the checked-in files', () => {
    const generated = generateSchemas();
    for (const [name, text] of generated)
      expect(readFileSync(join(SCHEMAS_DIR, name), 'utf8'), name).toBe(text);
    expect(staleSchemaFiles()).toEqual([]);
  });

  it('cover input, result and progress of every workflow in the contract', () => {
    const names = [...generateSchemas().keys()].sort();
    for (const c of WORKFLOW_CONTRACTS)
      for (const part of ['input', 'result', 'progress'])
        expect(names).toContain(`${c.stem}.${part}.schema.json`);
    expect(WORKFLOW_CONTRACTS.map((c) => c.workflowType).sort()).toEqual(Object.values(WorkflowTypes).sort());
  });

  it('contract.json names the task queue and, per workflow, its type, id, messages and files', () => {
    const generated = generateSchemas();
    const index = JSON.parse(generated.get('contract.json')!);
    expect(index.taskQueue).toBe('package-rollouts');
    const iot = index.workflows.find((w: { workflowType: string }) => w.workflowType === 'iotPackageRelease');
    expect(iot).toMatchObject({
      workflowType: 'iotPackageRelease',
      workflowIdTemplate: [
        { text: 'iot-package-release/' },
        { inputField: ['packageName'] },
        { text: '/' },
        { inputField: ['versionName'] },
      ],
      workflowIdConflictPolicy: 'FAIL',
      workflowId: 'iot-package-release/<packageName>/<versionName>',
      input: 'iot-package-release.input.schema.json',
      result: 'iot-package-release.result.schema.json',
      progress: 'iot-package-release.progress.schema.json',
      queries: ['progress'],
      updates: ['approve'],
      signals: ['approve'],
    });
    for (const w of index.workflows)
      for (const f of [w.input, w.result, w.progress]) expect(generated.has(f)).toBe(true);
  });

  it('other workflows: required fields, enums and AWS rules reach the JSON Schemas', () => {
    const generated = generateSchemas();
    const iot = JSON.parse(generated.get('iot-package-release.input.schema.json')!);
    expect(iot.required).toEqual(['packageName', 'versionName']);
    expect(iot.properties.publish).toMatchObject({ default: 'now', enum: ['now', 'after-approval', 'no'] });
    const attach = JSON.parse(generated.get('data-source-attachment.input.schema.json')!);
    expect(attach.required).toEqual(['dataSourceArn']);
    expect(attach.properties.waitLimitSeconds).toMatchObject({ default: 86400, maximum: 86400 });
    expect(attach.description).toMatch(/Workflow type 'dataSourceAttachment', task queue 'package-rollouts'/);
    const result = JSON.parse(generated.get('data-source-attachment.result.schema.json')!);
    expect(result.properties.status).toMatchObject({ const: 'ATTACHED' });
    const iotResult = JSON.parse(generated.get('iot-package-release.result.schema.json')!);
    expect(iotResult.properties.outcome.enum).toEqual(['changed', 'unchanged']);
  });

  it('input schemas show defaults as optional and keep AWS naming rules', () => {
    const schema = JSON.parse(generateSchemas().get('dictionary-rollout.input.schema.json')!);
    expect(schema.required).toEqual(['packageName', 'source', 'staging', 'domains']);
    expect(schema.properties.packageType.default).toBe('TXT-DICTIONARY');
    // A domain is a plain name or, for fleets, { domain, region, roleArn?, externalId? }.
    const [plain, placed] = schema.properties.domains.items.anyOf;
    expect(plain.pattern).toBe('^[a-z][a-z0-9-]+$');
    expect(placed.required).toEqual(['domain', 'region']);
    expect(placed.properties.domain.pattern).toBe('^[a-z][a-z0-9-]+$');
    expect(schema.properties.domains.maxItems).toBe(1000);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.description).toMatch(/Workflow type 'dictionaryRollout', task queue 'package-rollouts'/);
  });

  it('a stale file is reported by --check', () => {
    const generated = generateSchemas();
    const first = [...generated.keys()][0]!;
    const changed = new Map(generated);
    changed.set(first, `${generated.get(first)} `);
    expect(staleSchemaFiles(SCHEMAS_DIR, changed)).toEqual([first]);
  });
});

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
    expect(WORKFLOW_CONTRACTS.map((c) => c.workflowType)).toEqual(
      expect.arrayContaining([WorkflowTypes.dictionaryRollout, WorkflowTypes.packageRemoval]),
    );
  });

  it('input schemas show defaults as optional and keep AWS naming rules', () => {
    const schema = JSON.parse(generateSchemas().get('dictionary-rollout.input.schema.json')!);
    expect(schema.required).toEqual(['packageName', 'source', 'staging', 'domains']);
    expect(schema.properties.packageType.default).toBe('TXT-DICTIONARY');
    expect(schema.properties.domains.items.pattern).toBe('^[a-z][a-z0-9-]+$');
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

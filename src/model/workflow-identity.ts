/**
 * How each workflow is identified and found, declared once for the TypeScript client, the
 * workflows themselves and schemas/contract.json (which callers in other languages follow): the
 * workflow id template, the id policies, and the search attributes every run carries from its
 * start (the list view's filters and `rollouts list` use them).
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { WorkflowType } from './constants.js';
import { targetKey, type DomainTarget } from './fleet.js';
import {
  domainsSearchAttribute,
  DOMAINS_SEARCH_ATTRIBUTE_MAX_BYTES,
  RolloutDomains,
  RolloutKind,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetVersion,
} from './search-attributes.js';

/**
 * A value made from a workflow's input: text parts as they are; a field part is the first of its
 * fields that the input has (a name with dots is a path into nested objects, e.g.
 * `bundle.plugin.packageName`). A template that is one field alone is that field's value as it is.
 */
export type TemplatePart = { text: string } | { inputField: readonly string[] };

type IdentityKey =
  | typeof RolloutKind
  | typeof RolloutTarget
  | typeof RolloutStatus
  | typeof RolloutTargetVersion
  | typeof RolloutDomains;

export interface WorkflowIdentity {
  idTemplate: readonly TemplatePart[];
  /**
   * FAIL: a second start while one runs is refused (two runs on one target would race).
   * USE_EXISTING: it joins the running run (the work is idempotent: nothing to refuse).
   */
  idConflictPolicy: 'FAIL' | 'USE_EXISTING';
  /** After a run has closed, a new start with the same id runs again. */
  idReusePolicy: 'ALLOW_DUPLICATE';
  /**
   * Set by the workflow in its first task whoever started it, and by the TypeScript client at
   * start (so that a run still waiting for a worker is listed too). RolloutDomains only when the
   * list's JSON fits `maxJsonBytes`: Temporal refuses larger values, and a cut list would lie.
   */
  searchAttributes: ReadonlyArray<{
    key: IdentityKey;
    value: readonly TemplatePart[];
    maxJsonBytes?: number;
    /** The workflow keeps it current as it runs (RolloutStatus). */
    changesWhileRunning?: boolean;
  }>;
}

const text = (t: string): TemplatePart => ({ text: t });
const field = (...names: string[]): TemplatePart => ({ inputField: names });
const common = (type: WorkflowType) => [
  { key: RolloutKind, value: [text(type)] },
  { key: RolloutStatus, value: [text('running')], changesWhileRunning: true },
];
const domains = {
  key: RolloutDomains,
  value: [field('domains')],
  maxJsonBytes: DOMAINS_SEARCH_ATTRIBUTE_MAX_BYTES,
};

export const WORKFLOW_IDENTITIES: Record<WorkflowType, WorkflowIdentity> = {
  dictionaryRollout: {
    idTemplate: [text('dictionary-rollout/'), field('packageName')],
    idConflictPolicy: 'FAIL',
    idReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: [
      ...common('dictionaryRollout'),
      { key: RolloutTarget, value: [field('packageName')] },
      domains,
    ],
  },
  packageRemoval: {
    idTemplate: [text('package-removal/'), field('packageName', 'packageId')],
    idConflictPolicy: 'USE_EXISTING',
    idReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: [
      ...common('packageRemoval'),
      { key: RolloutTarget, value: [field('packageName', 'packageId')] },
      domains,
    ],
  },
  dataSourceAttachment: {
    idTemplate: [
      text('data-source-attachment/'),
      field('applicationId', 'applicationName'),
      text('/'),
      field('dataSourceArn'),
    ],
    idConflictPolicy: 'USE_EXISTING',
    idReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: [
      ...common('dataSourceAttachment'),
      {
        key: RolloutTarget,
        value: [field('applicationId', 'applicationName'), text('/'), field('dataSourceArn')],
      },
    ],
  },
  pluginRollout: {
    idTemplate: [text('plugin-rollout/'), field('bundle.plugin.packageName')],
    idConflictPolicy: 'FAIL',
    idReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: [
      ...common('pluginRollout'),
      { key: RolloutTarget, value: [field('bundle.plugin.packageName')] },
      domains,
    ],
  },
  iotPackageRelease: {
    idTemplate: [text('iot-package-release/'), field('packageName'), text('/'), field('versionName')],
    idConflictPolicy: 'FAIL',
    idReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: [
      ...common('iotPackageRelease'),
      { key: RolloutTarget, value: [field('packageName')] },
      { key: RolloutTargetVersion, value: [field('versionName')] },
    ],
  },
};

/** The template's value for this input; undefined when the input has none of a field's names. */
export function fillTemplate(parts: readonly TemplatePart[], input: object): unknown {
  const values: unknown[] = [];
  for (const part of parts) {
    if ('text' in part) values.push(part.text);
    else {
      const name = part.inputField.find((n) => fieldValue(input, n) !== undefined);
      if (name === undefined) return undefined;
      values.push(fieldValue(input, name));
    }
  }
  return values.length === 1 ? values[0] : values.map(String).join('');
}

/** The value at a field name; dots walk into nested objects. */
function fieldValue(input: object, path: string): unknown {
  let value: unknown = input;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export function workflowIdOf(type: WorkflowType, input: object): string {
  return String(fillTemplate(WORKFLOW_IDENTITIES[type].idTemplate, input));
}

/** The search attributes a run carries from its start (set by the workflow and the client). */
export function startSearchAttributes(type: WorkflowType, input: object): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  for (const sa of WORKFLOW_IDENTITIES[type].searchAttributes) {
    const value = fillTemplate(sa.value, input);
    if (sa.key === RolloutDomains) {
      // Fleet targets ({ domain, region, ... }) are listed by their target key (model/fleet.ts).
      const list = Array.isArray(value)
        ? domainsSearchAttribute(value.map((v) => (typeof v === 'string' ? v : targetKey(v as DomainTarget))))
        : undefined;
      if (list) pairs.push({ key: RolloutDomains, value: list });
    } else if (typeof value === 'string') pairs.push({ key: sa.key, value } as SearchAttributePair);
  }
  return pairs;
}

/**
 * The contract other languages build on: for each workflow, its type name, the schema of its input
 * (the very zod schema the client and the workflow validate with), the schemas of its result and
 * progress (declared once in src/model, where the TypeScript types are derived from them), its
 * workflow id pattern and its message names. `npm run schemas -- --check` fails CI until
 * schemas/*.json are regenerated from these.
 */
import type { z } from 'zod';
import { WorkflowTypes, type WorkflowType } from '../model/constants.js';
import {
  dataSourceAttachmentInput,
  dataSourceAttachmentProgress,
  dataSourceAttachmentResult,
} from '../model/data-source-attachment.js';
import {
  approvedWave,
  approveWaveArgs,
  dictionaryRolloutInput,
  dictionaryRolloutPlan,
  dictionaryRolloutProgress,
  dictionaryRolloutResult,
} from '../model/dictionary-rollout.js';
import {
  iotApproval,
  iotApproveArgs,
  iotPackageReleaseInput,
  iotPackageReleaseProgress,
  iotPackageReleaseResult,
} from '../model/iot-package-release.js';
import {
  packageRemovalInput,
  packageRemovalProgress,
  packageRemovalResult,
} from '../model/package-removal.js';
import { pluginRolloutInput, pluginRolloutProgress, pluginRolloutResult } from '../model/plugin-rollout.js';
import {
  dataSourceAttachmentMessages,
  dictionaryRolloutMessages,
  iotPackageReleaseMessages,
  packageRemovalMessages,
  pluginRolloutMessages,
} from '../workflows/messages.js';

// ---- the contract ----------------------------------------------------------------------------

export interface WorkflowContract {
  workflowType: WorkflowType;
  /** File stem under schemas/: `<stem>.input.schema.json`, `.result.`, `.progress.`. */
  stem: string;
  /** How the TypeScript client derives workflow ids (other callers should do the same). */
  workflowId: string;
  input: z.ZodType;
  result: z.ZodType;
  progress: z.ZodType;
  /** Query name -> what it returns; update/signal names -> their argument. */
  messages: { queries: string[]; updates: string[]; signals: string[] };
  /**
   * Per message name, what it carries: a query's answer, an update's (and its signal twin's)
   * argument and an update's answer; absent = nothing.
   */
  payloads: Record<string, { argument?: z.ZodType; answer?: z.ZodType }>;
}

/** The names of a workflow's message definitions, by kind. */
function messageNames(
  definitions: Record<string, { type: 'query' | 'update' | 'signal'; name: string }>,
): WorkflowContract['messages'] {
  const named = (type: 'query' | 'update' | 'signal') =>
    Object.values(definitions)
      .filter((d) => d.type === type)
      .map((d) => d.name);
  return { queries: named('query'), updates: named('update'), signals: named('signal') };
}

export const WORKFLOW_CONTRACTS: WorkflowContract[] = [
  {
    workflowType: WorkflowTypes.dictionaryRollout,
    stem: 'dictionary-rollout',
    workflowId: 'dictionary-rollout/<packageName>',
    input: dictionaryRolloutInput,
    result: dictionaryRolloutResult,
    progress: dictionaryRolloutProgress,
    messages: messageNames(dictionaryRolloutMessages),
    payloads: {
      progress: { answer: dictionaryRolloutProgress },
      plan: { answer: dictionaryRolloutPlan },
      approve: { argument: approveWaveArgs, answer: approvedWave },
      pause: {},
      resume: {},
    },
  },
  {
    workflowType: WorkflowTypes.packageRemoval,
    stem: 'package-removal',
    workflowId: 'package-removal/<packageName or packageId>',
    input: packageRemovalInput,
    result: packageRemovalResult,
    progress: packageRemovalProgress,
    messages: messageNames(packageRemovalMessages),
    payloads: { progress: { answer: packageRemovalProgress } },
  },
  {
    workflowType: WorkflowTypes.dataSourceAttachment,
    stem: 'data-source-attachment',
    workflowId: 'data-source-attachment/<applicationId or applicationName>/<dataSourceArn>',
    input: dataSourceAttachmentInput,
    result: dataSourceAttachmentResult,
    progress: dataSourceAttachmentProgress,
    messages: messageNames(dataSourceAttachmentMessages),
    payloads: { progress: { answer: dataSourceAttachmentProgress } },
  },
  {
    workflowType: WorkflowTypes.iotPackageRelease,
    stem: 'iot-package-release',
    workflowId: 'iot-package-release/<packageName>/<versionName>',
    input: iotPackageReleaseInput,
    result: iotPackageReleaseResult,
    progress: iotPackageReleaseProgress,
    messages: messageNames(iotPackageReleaseMessages),
    payloads: {
      progress: { answer: iotPackageReleaseProgress },
      approve: { argument: iotApproveArgs, answer: iotApproval },
    },
  },
  {
    workflowType: WorkflowTypes.pluginRollout,
    stem: 'plugin-rollout',
    workflowId: 'plugin-rollout/<bundle.plugin.packageName>',
    input: pluginRolloutInput,
    result: pluginRolloutResult,
    progress: pluginRolloutProgress,
    messages: messageNames(pluginRolloutMessages),
    payloads: { progress: { answer: pluginRolloutProgress } },
  },
];

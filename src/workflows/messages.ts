/**
 * Every workflow's queries, updates and signals, defined once: the workflows set their handlers
 * on these definitions and the client sends through them, so a name or a type cannot drift between
 * the two sides. Definitions only (no workflow code runs here), so the client can import this file;
 * their names are part of the contract for other languages (schemas/contract.json).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DataSourceAttachmentProgress } from '../model/data-source-attachment.js';
import type {
  ApproveWaveArgs,
  DictionaryRolloutPlan,
  DictionaryRolloutProgress,
} from '../model/dictionary-rollout.js';
import type { IotApproval, IotApproveArgs, IotPackageReleaseProgress } from '../model/iot-package-release.js';
import type { PackageRemovalProgress } from '../model/package-removal.js';
import type { PluginRolloutProgress } from '../model/plugin-rollout.js';

// ---- dictionaryRollout ------------------------------------------------------------------------

export const dictionaryRolloutMessages = {
  progress: defineQuery<DictionaryRolloutProgress>('progress'),
  /** The plan once known: target version, waves (domains to associate) and domains skipped as current. */
  plan: defineQuery<DictionaryRolloutPlan>('plan'),
  /** Approve the next wave (when the policy asks for approval between waves). Returns the approved wave number. */
  approve: defineUpdate<number, [ApproveWaveArgs]>('approve'),
  pause: defineUpdate<void>('pause'),
  resume: defineUpdate<void>('resume'),
  /** Fire-and-forget twins of the updates, for callers that cannot wait for an answer. */
  approveSignal: defineSignal<[ApproveWaveArgs]>('approve'),
  pauseSignal: defineSignal('pause'),
  resumeSignal: defineSignal('resume'),
};

// ---- packageRemoval ---------------------------------------------------------------------------

export const packageRemovalMessages = {
  progress: defineQuery<PackageRemovalProgress>('progress'),
};

// ---- dataSourceAttachment ---------------------------------------------------------------------

export const dataSourceAttachmentMessages = {
  progress: defineQuery<DataSourceAttachmentProgress>('progress'),
};

// ---- iotPackageRelease ------------------------------------------------------------------------

export const iotPackageReleaseMessages = {
  progress: defineQuery<IotPackageReleaseProgress>('progress'),
  /** Lets a release with publish 'after-approval' publish. Idempotent: a second approve returns the first. */
  approve: defineUpdate<IotApproval, [IotApproveArgs | undefined]>('approve'),
  /** Fire-and-forget twin of the update, for callers that cannot wait for an answer. */
  approveSignal: defineSignal<[IotApproveArgs | undefined]>('approve'),
};

// ---- pluginRollout ----------------------------------------------------------------------------

export const pluginRolloutMessages = {
  progress: defineQuery<PluginRolloutProgress>('progress'),
};

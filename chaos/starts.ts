/**
 * What each step of a chain starts: the workflow input built from the plan, and the client's start
 * function for it. Verified steps add the probes and close/open; gated steps the bake, the gates
 * and the notifications on the suite's receiver; plugin steps a ZIP-PLUGIN bundle from S3; fleet
 * steps their placed targets, each place's staging bucket and waves by Region.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startDataSourceAttachment } from '../src/client/data-source-attachment.js';
import { startDictionaryRollout } from '../src/client/dictionary-rollout.js';
import { startIotPackageRelease } from '../src/client/iot-package-release.js';
import { startPackageRemoval } from '../src/client/package-removal.js';
import { startPluginRollout } from '../src/client/plugin-rollout.js';
import type { DictionaryRolloutInput } from '../src/model/dictionary-rollout.js';
import { DEFAULT_ENGINE_VERSION } from '../src/emulator/opensearch-domains.js';
import { chainIndexes } from './node.js';
import { FLEET_STAGING_BUCKETS } from './plan-fleet.js';
import { ARTIFACT_BUCKET, SOURCE_BUCKET, STAGING_BUCKET, type Chain, type Step } from './plan.js';
import type { Receiver } from './receiver.js';

export const TASK_QUEUE = 'chaos-rollouts';
export const fast = { pollIntervalSeconds: 0.3 };

/** The alarm a gated chain's domain is watched by (`chaos-{domain}-health`). */
export const ALARM_TEMPLATE = 'chaos-{domain}-health';
export const alarmOf = (domain: string) => ALARM_TEMPLATE.replace('{domain}', domain);

export interface StartContext {
  client: Client;
  httpBase: string;
  applications: Map<string, string>;
  receiver: Receiver;
}

export type Start = () => Promise<{ workflowId: string; handle: WorkflowHandle }>;

/** The key a gated run's receiver paths carry. */
export const runKey = (chain: Chain, step: number) => `${chain.id}-s${step}`;

export function startOf(chain: Chain, step: Step, index: number, ctx: StartContext): Start {
  const options = { taskQueue: TASK_QUEUE };
  if (step.kind === 'dictionary') {
    const source =
      step.content.via === 's3'
        ? { kind: 's3' as const, bucket: SOURCE_BUCKET, key: `${step.content.id}.txt` }
        : { kind: 'url' as const, url: `${ctx.httpBase}/${step.content.id}.txt` };
    const input: DictionaryRolloutInput = {
      packageName: chain.target,
      description: `chaos chain ${chain.id}`,
      source,
      staging: { bucket: STAGING_BUCKET },
      domains: chain.domains,
      policy: {
        ...fast,
        maxConcurrency: 3,
        waves: { strategy: 'sizes', canary: 1, sizes: [2] },
        failurePolicy: chain.failingDomains.length > 0 ? 'continue' : 'halt',
        associationDeadlineSeconds: 600,
      },
    };
    if (chain.fleetTargets) {
      // A fleet: staged once, copied to each other place's bucket; a canary, then one wave per Region.
      input.domains = chain.fleetTargets;
      input.staging = { bucket: STAGING_BUCKET, buckets: FLEET_STAGING_BUCKETS };
      input.policy = { ...input.policy, waves: { strategy: 'regions', canary: 1 } };
    }
    if (step.verify) {
      const { search, index: indexTime } = chainIndexes(chain.id);
      input.preflight = { format: 'solr' };
      input.verification = {
        indexTimeUses: 'close-open',
        probes: [search, indexTime].map((i) => ({
          index: i,
          analyzer: 'dict',
          text: 'car',
          expectedTokens: [step.verify!.token],
        })),
      };
    }
    if (step.gates) {
      const urls = ctx.receiver.plan(runKey(chain, index + 1), step.gates);
      input.policy = {
        ...input.policy,
        failurePolicy: step.gates.failurePolicy,
        bakeSeconds: step.gates.bakeSeconds,
        gates: {
          alarms: { names: [ALARM_TEMPLATE], checkIntervalSeconds: 0.5 },
          webhooks: [{ name: 'smoke', url: urls.gate, retries: 3, timeoutSeconds: 1.5 }],
        },
      };
      input.notifications = { url: urls.notify };
    }
    return () => startDictionaryRollout(ctx.client, input, options);
  }
  if (step.kind === 'plugin')
    return () =>
      startPluginRollout(
        ctx.client,
        step.action === 'install'
          ? {
              engineVersion: DEFAULT_ENGINE_VERSION,
              bundle: {
                plugin: {
                  packageName: chain.target,
                  source: { kind: 's3', bucket: SOURCE_BUCKET, key: `${step.content!.id}.zip` },
                },
              },
              staging: { bucket: STAGING_BUCKET },
              domains: chain.domains,
              ...fast,
              maxConcurrency: 2,
            }
          : {
              action: 'remove',
              bundle: { plugin: { packageName: chain.target } },
              staging: { bucket: STAGING_BUCKET },
              domains: chain.domains,
              ...fast,
              maxConcurrency: 2,
            },
        options,
      );
  if (step.kind === 'removal')
    return () =>
      startPackageRemoval(
        ctx.client,
        { packageName: chain.target, ...fast, maxConcurrency: 3, dissociationDeadlineSeconds: 600 },
        options,
      );
  if (step.kind === 'iot')
    return () =>
      startIotPackageRelease(
        ctx.client,
        {
          packageName: chain.target,
          versionName: step.versionName,
          description: `chaos release ${step.versionName}`,
          attributes: { channel: 'stable', build: step.versionName },
          artifact: { bucket: ARTIFACT_BUCKET, key: `${chain.target}/${step.versionName}.bin` },
          ...(step.keepLast ? { deprecateOlder: { keepLast: step.keepLast } } : {}),
        },
        options,
      );
  if (step.kind === 'attach')
    return () =>
      startDataSourceAttachment(
        ctx.client,
        {
          applicationId: ctx.applications.get(chain.target)!,
          dataSourceArn: chain.dataSource!,
          workspaceConfiguration: { name: `Chaos ${chain.id}`, workspaceType: 'OBSERVABILITY' },
          ...fast,
          waitLimitSeconds: 600,
        },
        options,
      );
  throw new Error(`${chain.id} step ${index + 1}: ${step.kind} starts no workflow`);
}

import { z } from 'zod';
import { domainName, opensearchPackageName, s3BucketName, s3Prefix } from './aws-rules.js';
import { CONTENT_MARKER_LENGTH, dictionarySource, MAX_DOMAINS } from './dictionary-rollout.js';
import { epochMs, failureSummary } from './failures.js';

/**
 * Plugin rollouts: a ZIP-PLUGIN, with its optional PACKAGE-LICENSE and PACKAGE-CONFIG packages, put
 * on (or taken off) domains. Unlike a dictionary, associating a plugin is a configuration change of
 * the domain: AWS runs a blue/green deployment, the domain takes no other change meanwhile, and it
 * lasts far longer. Hence a workflow type of its own, with its own defaults and waits.
 */

/** Custom plugins need OpenSearch 2.15 or later (developer guide, "Managing custom plugins"). */
export const PLUGIN_MIN_ENGINE = { major: 2, minor: 15 } as const;
/** AWS: at most 20 plugins of all kinds per domain. */
export const MAX_PLUGINS_PER_DOMAIN = 20;
/** A blue/green deployment takes tens of minutes on a large domain: a few at a time by default. */
export const PLUGIN_DEFAULT_CONCURRENCY = 2;

const ENGINE_VERSION = /^OpenSearch_([0-9]{1,2})\.([0-9]{1,2})$/;

const ENGINE_REQUIRED =
  'is required to install a ZIP-PLUGIN (AWS CreatePackage EngineVersion), e.g. OpenSearch_2.19';

export const pluginEngineVersion = z
  .string({ error: ENGINE_REQUIRED })
  .regex(ENGINE_VERSION, 'must be OpenSearch_X.Y (AWS EngineVersion), e.g. OpenSearch_2.19')
  .refine((v) => {
    const [, major, minor] = ENGINE_VERSION.exec(v) ?? [];
    const ma = Number(major);
    const mi = Number(minor);
    return ma > PLUGIN_MIN_ENGINE.major || (ma === PLUGIN_MIN_ENGINE.major && mi >= PLUGIN_MIN_ENGINE.minor);
  }, `custom plugins need OpenSearch_${PLUGIN_MIN_ENGINE.major}.${PLUGIN_MIN_ENGINE.minor} or later`);

const requirementLevel = z.enum(['REQUIRED', 'OPTIONAL', 'NONE'], {
  error: 'must be REQUIRED, OPTIONAL or NONE (AWS RequirementLevel)',
});

/** AWS PackageConfiguration, as CreatePackage / UpdatePackage take it for the plugin. */
export const pluginPackageConfiguration = z
  .object({
    licenseRequirement: requirementLevel.default('NONE'),
    licenseFilepath: z.string().min(1).max(1024).optional(),
    configurationRequirement: requirementLevel.default('NONE'),
    requiresRestartForConfigurationUpdate: z.boolean().optional(),
  })
  .strict();
export type PluginPackageConfiguration = z.output<typeof pluginPackageConfiguration>;

const description = z
  .string()
  .max(1024 - CONTENT_MARKER_LENGTH, `must be at most ${1024 - CONTENT_MARKER_LENGTH} characters`)
  .default('');

/** One package of the bundle: its name and where its file comes from (staged like a dictionary). */
const bundlePackage = z
  .object({
    packageName: opensearchPackageName,
    /** Required to install; a removal names the packages only. */
    source: dictionarySource.optional(),
    description,
  })
  .strict();

export const pluginBundle = z
  .object({
    /** The ZIP-PLUGIN. */
    plugin: bundlePackage
      .extend({
        packageConfiguration: pluginPackageConfiguration.default({
          licenseRequirement: 'NONE',
          configurationRequirement: 'NONE',
        }),
      })
      .strict(),
    /** Its PACKAGE-LICENSE, when the plugin needs one. */
    license: bundlePackage.optional(),
    /** Its PACKAGE-CONFIG, when the plugin takes one. */
    config: bundlePackage.optional(),
  })
  .strict();
export type PluginBundle = z.output<typeof pluginBundle>;

const domains = z
  .array(domainName)
  .min(1, 'needs at least 1 domain')
  .max(MAX_DOMAINS, `must list at most ${MAX_DOMAINS} domains`)
  .refine((d) => new Set(d).size === d.length, 'must not contain duplicates');

export const pluginRolloutInput = z
  .object({
    /** install (default): create / update the bundle and associate it; remove: dissociate it. */
    action: z.enum(['install', 'remove']).default('install'),
    /**
     * The engine version the plugin is built for (CreatePackage EngineVersion); every target
     * domain must run exactly it. Required to install.
     */
    engineVersion: pluginEngineVersion.optional(),
    bundle: pluginBundle,
    staging: z.object({ bucket: s3BucketName, prefix: s3Prefix.default('package-rollouts/') }).strict(),
    domains,
    /** Blue/green deployments at once (each domain runs one). */
    maxConcurrency: z.number().int().min(1).max(20).default(PLUGIN_DEFAULT_CONCURRENCY),
    /** Per domain: a blue/green deployment of a large domain can take hours. */
    deploymentDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(48 * 3600)
      .default(6 * 3600),
    /** AWS status polling while packages are copied and domains deploy. */
    pollIntervalSeconds: z.number().min(0.05).max(600).default(30),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.action === 'install') {
      if (input.engineVersion === undefined)
        ctx.addIssue({ code: 'custom', message: ENGINE_REQUIRED, path: ['engineVersion'] });
      for (const role of ['plugin', 'license', 'config'] as const)
        if (input.bundle[role] && !input.bundle[role].source)
          ctx.addIssue({
            code: 'custom',
            message: `is required to install (where the ${BUNDLE_PACKAGE_TYPES[role]} file comes from)`,
            path: ['bundle', role, 'source'],
          });
    }
    const cfg = input.bundle.plugin.packageConfiguration;
    if (cfg.licenseRequirement === 'REQUIRED' && !input.bundle.license)
      ctx.addIssue({
        code: 'custom',
        message:
          'the plugin requires a license (packageConfiguration.licenseRequirement REQUIRED): give bundle.license',
        path: ['bundle', 'license'],
      });
    if (cfg.configurationRequirement === 'REQUIRED' && !input.bundle.config)
      ctx.addIssue({
        code: 'custom',
        message:
          'the plugin requires a configuration (packageConfiguration.configurationRequirement REQUIRED): give bundle.config',
        path: ['bundle', 'config'],
      });
    if (input.action === 'install' && cfg.licenseRequirement === 'NONE' && input.bundle.license)
      ctx.addIssue({
        code: 'custom',
        message:
          "the plugin's licenseRequirement is NONE: drop bundle.license or set it to OPTIONAL / REQUIRED",
        path: ['bundle', 'license'],
      });
    if (input.action === 'install' && cfg.configurationRequirement === 'NONE' && input.bundle.config)
      ctx.addIssue({
        code: 'custom',
        message:
          "the plugin's configurationRequirement is NONE: drop bundle.config or set it to OPTIONAL / REQUIRED",
        path: ['bundle', 'config'],
      });
    const names = [input.bundle.plugin, input.bundle.license, input.bundle.config]
      .filter((p) => p !== undefined)
      .map((p) => p.packageName);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: 'custom', message: "the bundle's package names must differ", path: ['bundle'] });
  });
export type PluginRolloutInput = z.input<typeof pluginRolloutInput>;
export type PluginRolloutParams = z.output<typeof pluginRolloutInput>;

export type BundleRole = 'plugin' | 'license' | 'config';
export const BUNDLE_PACKAGE_TYPES: Record<BundleRole, 'ZIP-PLUGIN' | 'PACKAGE-LICENSE' | 'PACKAGE-CONFIG'> = {
  plugin: 'ZIP-PLUGIN',
  license: 'PACKAGE-LICENSE',
  config: 'PACKAGE-CONFIG',
};

// ---- what activities report about a domain's deployment --------------------------------------

/** What DescribeDomain and DescribeDomainChangeProgress say about a domain, reduced. */
export const domainDeployment = z.object({
  processing: z.boolean().describe('DomainStatus.Processing'),
  upgradeProcessing: z.boolean().describe('DomainStatus.UpgradeProcessing'),
  processingStatus: z.string().optional().describe('DomainStatus.DomainProcessingStatus, e.g. Modifying'),
  changeId: z.string().optional(),
  changeStatus: z
    .string()
    .optional()
    .describe('ChangeProgressStatus.Status: PENDING | PROCESSING | COMPLETED | FAILED'),
  stage: z
    .string()
    .optional()
    .describe('the stage in progress (or the last one), e.g. "Copying shards to new nodes"'),
  stagesCompleted: z.number().int().optional(),
  totalStages: z.number().int().optional(),
});
export type DomainDeployment = z.infer<typeof domainDeployment>;

// ---- progress and result --------------------------------------------------------------------

export const pluginDomainState = z.enum([
  'pending',
  'skipped', // already has the bundle at these versions (install) / none of it (remove)
  'associating', // AssociatePackages sent
  'dissociating', // DissociatePackages sent
  'blue-green', // the domain's deployment runs
  'current', // the bundle is ACTIVE and the deployment completed
  'removed',
  'failed',
  'not-started',
]);

export const pluginDomainOutcome = z.object({
  domain: z.string(),
  state: pluginDomainState,
  engineVersion: z.string().optional(),
  deployment: domainDeployment.optional(),
  startedAt: epochMs.optional(),
  finishedAt: epochMs.optional(),
  error: failureSummary.optional(),
});
export type PluginDomainOutcome = z.infer<typeof pluginDomainOutcome>;

export const bundlePackageOutcome = z.object({
  role: z.enum(['plugin', 'license', 'config']),
  packageName: z.string(),
  packageType: z.string(),
  packageId: z.string().optional(),
  version: z.string().optional(),
  change: z.enum(['created', 'updated', 'unchanged', 'not-found']).optional(),
  contentSha256: z.string().optional(),
});
export type BundlePackageOutcome = z.infer<typeof bundlePackageOutcome>;

export const pluginRolloutPhase = z.enum([
  'checking-domains',
  'staging',
  'packaging',
  'waiting-for-packages',
  'deploying',
  'done',
]);

export const pluginRolloutProgress = z.object({
  action: z.enum(['install', 'remove']),
  phase: pluginRolloutPhase,
  engineVersion: z.string().optional(),
  packages: z.array(bundlePackageOutcome),
  domains: z.array(pluginDomainOutcome),
});
export type PluginRolloutProgress = z.infer<typeof pluginRolloutProgress>;

export const pluginRolloutResult = z.object({
  outcome: z.enum(['succeeded', 'unchanged', 'partial', 'failed']),
  action: z.enum(['install', 'remove']),
  engineVersion: z.string().optional(),
  packages: z.array(bundlePackageOutcome),
  domains: z.array(pluginDomainOutcome),
  counts: z.object({
    done: z.number().int().describe('current (install) or removed (remove)'),
    skipped: z.number().int(),
    failed: z.number().int(),
    notStarted: z.number().int(),
  }),
  startedAt: epochMs,
  finishedAt: epochMs,
});
export type PluginRolloutResult = z.infer<typeof pluginRolloutResult>;

/** One rollout per plugin at a time: the id derives from the plugin's package name. */
export function pluginRolloutWorkflowId(pluginPackageName: string): string {
  return `plugin-rollout/${pluginPackageName}`;
}

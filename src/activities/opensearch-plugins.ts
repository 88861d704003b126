/**
 * Plugin packages (ZIP-PLUGIN with its PACKAGE-LICENSE / PACKAGE-CONFIG): one activity per AWS
 * call and its error mapping — read a domain, read a package, create one with its engine version
 * and PackageConfiguration, associate or dissociate a bundle in one call — and the wait that
 * follows a domain's blue/green deployment (DescribeDomain, DescribeDomainChangeProgress and the
 * domain's package rows), polled by retry.
 */
import {
  AssociatePackagesCommand,
  CreatePackageCommand,
  DescribeDomainChangeProgressCommand,
  DescribeDomainCommand,
  DescribePackagesCommand,
  DissociatePackagesCommand,
  ListPackagesForDomainCommand,
  type DomainPackageDetails,
  type PackageType,
} from '@aws-sdk/client-opensearch';
import { ApplicationFailure } from '@temporalio/common';
import { markerIn } from '../model/dictionary-rollout.js';
import { FailureTypes } from '../model/failures.js';
import type { DomainDeployment, PluginPackageConfiguration } from '../model/plugin-rollout.js';
import { awsErrorDetails, isAwsError, toActivityFailure } from './aws-errors.js';
import type { ActivityDeps } from './deps.js';
import { notReady } from './polling.js';

export interface PluginPackageSummary {
  packageId: string;
  packageName: string;
  packageType: string;
  status: string;
  availableVersion?: string;
  contentSha256?: string;
  engineVersion?: string;
}

export interface DomainPluginView {
  domain: string;
  engineVersion?: string;
  deployment: DomainDeployment;
}

export interface BundleRow {
  packageId: string;
  status: string;
  version?: string;
  error?: string;
}

/** One domain being deployed: which packages must end where, and the stage the workflow last saw. */
export interface DeploymentWatch {
  domain: string;
  deadline: number;
  /** install: these package ids ACTIVE at these versions; remove: these package ids gone. */
  packages: Array<{ packageId: string; version?: string }>;
  removing: boolean;
  /** The stage key (changeStatus/stage) the workflow last recorded: a different one is news. */
  seen?: string;
}

export interface DeploymentStatus {
  domain: string;
  outcome: 'done' | 'failed' | 'deadline' | 'progress';
  deployment: DomainDeployment;
  error?: { type: string; message: string };
}

export function stageKey(d: DomainDeployment): string {
  return `${d.processing ? 'processing' : 'idle'}/${d.changeStatus ?? ''}/${d.stage ?? ''}`;
}

export function createOpenSearchPluginActivities(deps: ActivityDeps) {
  const { opensearch } = deps.aws;

  async function domainView(domain: string): Promise<DomainPluginView> {
    try {
      const out = await opensearch.send(new DescribeDomainCommand({ DomainName: domain }));
      const s = out.DomainStatus!;
      return {
        domain,
        engineVersion: s.EngineVersion,
        deployment: {
          processing: s.Processing ?? false,
          upgradeProcessing: s.UpgradeProcessing ?? false,
          ...(s.DomainProcessingStatus ? { processingStatus: s.DomainProcessingStatus } : {}),
          ...(s.ChangeProgressDetails?.ChangeId ? { changeId: s.ChangeProgressDetails.ChangeId } : {}),
        },
      };
    } catch (err) {
      throw toActivityFailure(err, { service: 'es', operation: 'DescribeDomain', domain });
    }
  }

  async function changeProgress(domain: string): Promise<Partial<DomainDeployment>> {
    try {
      const out = await opensearch.send(new DescribeDomainChangeProgressCommand({ DomainName: domain }));
      const p = out.ChangeProgressStatus;
      if (!p) return {};
      const stages = p.ChangeProgressStages ?? [];
      const current =
        stages.find((s) => s.Status !== 'COMPLETED' && s.Status !== 'PENDING') ??
        [...stages].reverse().find((s) => s.Status === 'COMPLETED');
      return {
        ...(p.ChangeId ? { changeId: p.ChangeId } : {}),
        ...(p.Status ? { changeStatus: p.Status } : {}),
        ...(current?.Name ? { stage: current.Name } : {}),
        stagesCompleted: stages.filter((s) => s.Status === 'COMPLETED').length,
        ...(p.TotalNumberOfStages !== undefined ? { totalStages: p.TotalNumberOfStages } : {}),
      };
    } catch (err) {
      throw toActivityFailure(err, { service: 'es', operation: 'DescribeDomainChangeProgress', domain });
    }
  }

  async function domainRows(domain: string): Promise<BundleRow[]> {
    const rows: BundleRow[] = [];
    let NextToken: string | undefined;
    do {
      try {
        const out = await opensearch.send(
          new ListPackagesForDomainCommand({ DomainName: domain, MaxResults: 100, NextToken }),
        );
        rows.push(...(out.DomainPackageDetailsList ?? []).map(bundleRow));
        NextToken = out.NextToken;
      } catch (err) {
        throw toActivityFailure(err, { service: 'es', operation: 'ListPackagesForDomain', domain });
      }
    } while (NextToken);
    return rows;
  }

  return {
    /** DescribeDomain: the engine version and whether a configuration change is under way. */
    async describePluginDomain(input: { domain: string }): Promise<DomainPluginView> {
      return domainView(input.domain);
    },

    /** ListPackagesForDomain: the domain's package rows (to skip a domain that already has the bundle). */
    async listDomainPackageRows(input: { domain: string }): Promise<BundleRow[]> {
      return domainRows(input.domain);
    },

    /** DescribePackages by name, with the plugin's engine version. */
    async findPluginPackage(input: { packageName: string }): Promise<PluginPackageSummary | null> {
      try {
        const out = await opensearch.send(
          new DescribePackagesCommand({
            Filters: [{ Name: 'PackageName', Value: [input.packageName] }],
            MaxResults: 100,
          }),
        );
        const p = (out.PackageDetailsList ?? []).find((d) => d.PackageName === input.packageName);
        if (!p) return null;
        return {
          packageId: p.PackageID!,
          packageName: p.PackageName!,
          packageType: p.PackageType ?? 'UNKNOWN',
          status: p.PackageStatus ?? 'UNKNOWN',
          ...(p.AvailablePackageVersion ? { availableVersion: p.AvailablePackageVersion } : {}),
          ...(markerIn(p.PackageDescription) ? { contentSha256: markerIn(p.PackageDescription) } : {}),
          ...(p.EngineVersion ? { engineVersion: p.EngineVersion } : {}),
        };
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) return null;
        throw toActivityFailure(err, { service: 'es', operation: 'DescribePackages' });
      }
    },

    /**
     * CreatePackage for a bundle member: EngineVersion only for the ZIP-PLUGIN (AWS refuses it on
     * other types and requires it on ZIP-PLUGIN), PackageConfiguration only for the plugin. A
     * retry that meets ResourceAlreadyExistsException means the first answer was lost: the
     * workflow looks the package up by name again.
     */
    async createPluginPackage(input: {
      packageName: string;
      packageType: 'ZIP-PLUGIN' | 'PACKAGE-LICENSE' | 'PACKAGE-CONFIG';
      description: string;
      bucket: string;
      key: string;
      engineVersion?: string;
      packageConfiguration?: PluginPackageConfiguration;
    }): Promise<'created' | 'exists'> {
      const c = input.packageConfiguration;
      try {
        await opensearch.send(
          new CreatePackageCommand({
            PackageName: input.packageName,
            PackageType: input.packageType as PackageType,
            PackageDescription: input.description,
            PackageSource: { S3BucketName: input.bucket, S3Key: input.key },
            ...(input.packageType === 'ZIP-PLUGIN' ? { EngineVersion: input.engineVersion } : {}),
            ...(input.packageType === 'ZIP-PLUGIN' && c
              ? {
                  PackageConfiguration: {
                    LicenseRequirement: c.licenseRequirement,
                    ConfigurationRequirement: c.configurationRequirement,
                    ...(c.licenseFilepath ? { LicenseFilepath: c.licenseFilepath } : {}),
                    ...(c.requiresRestartForConfigurationUpdate !== undefined
                      ? { RequiresRestartForConfigurationUpdate: c.requiresRestartForConfigurationUpdate }
                      : {}),
                  },
                }
              : {}),
          }),
        );
        return 'created';
      } catch (err) {
        if (isAwsError(err, 'ResourceAlreadyExistsException')) return 'exists';
        throw toActivityFailure(err, { service: 'es', operation: 'CreatePackage' });
      }
    },

    /**
     * AssociatePackages: the whole bundle on one domain in one call, the license and the
     * configuration naming the plugin as their prerequisite. A ConflictException after our own
     * call's answer was lost shows as rows already ASSOCIATING: then it is under way; or, once the
     * deployment is over, as "already in desired state": then it is done (the wait confirms it).
     */
    async associatePluginBundle(input: {
      domain: string;
      packages: Array<{ packageId: string; prerequisites?: string[] }>;
    }): Promise<'started'> {
      try {
        await opensearch.send(
          new AssociatePackagesCommand({
            DomainName: input.domain,
            PackageList: input.packages.map((p) => ({
              PackageID: p.packageId,
              ...(p.prerequisites?.length ? { PrerequisitePackageIDList: p.prerequisites } : {}),
            })),
          }),
        );
        return 'started';
      } catch (err) {
        const context = { service: 'es', operation: 'AssociatePackages', domain: input.domain } as const;
        if (isAwsError(err, 'ConflictException')) {
          if (/already in desired state/i.test((err as Error).message)) return 'started';
          const rows = new Map((await domainRows(input.domain)).map((r) => [r.packageId, r]));
          if (input.packages.every((p) => rows.get(p.packageId)?.status === 'ASSOCIATING')) return 'started';
          // Another configuration change runs: retried with backoff until it is over.
          throw ApplicationFailure.create({
            message: `AssociatePackages (${input.domain}): ${(err as Error).message}`,
            type: 'ConflictException',
            details: [awsErrorDetails(err, context)],
          });
        }
        throw toActivityFailure(err, context, FailureTypes.AssociationFailed);
      }
    },

    /** DissociatePackages: the bundle off one domain in one call; not associated any more is done. */
    async dissociatePluginBundle(input: { domain: string; packageIds: string[] }): Promise<'started'> {
      try {
        await opensearch.send(
          new DissociatePackagesCommand({ DomainName: input.domain, PackageList: input.packageIds }),
        );
        return 'started';
      } catch (err) {
        const context = { service: 'es', operation: 'DissociatePackages', domain: input.domain } as const;
        // Resent after its answer was lost, once the deployment is over: nothing left to dissociate.
        if (isAwsError(err, 'ResourceNotFoundException') && /not associated/i.test((err as Error).message)) {
          const rows = new Set((await domainRows(input.domain)).map((r) => r.packageId));
          if (input.packageIds.every((id) => !rows.has(id))) return 'started';
        }
        if (isAwsError(err, 'ConflictException')) {
          const rows = new Map((await domainRows(input.domain)).map((r) => [r.packageId, r]));
          if (input.packageIds.every((id) => !rows.has(id) || rows.get(id)?.status === 'DISSOCIATING'))
            return 'started';
          throw ApplicationFailure.create({
            message: `DissociatePackages (${input.domain}): ${(err as Error).message}`,
            type: 'ConflictException',
            details: [awsErrorDetails(err, context)],
          });
        }
        throw toActivityFailure(err, context, FailureTypes.DissociationFailed);
      }
    },

    /**
     * Polled by retry. A domain is done when its blue/green deployment is over (DescribeDomain:
     * Processing false; DescribeDomainChangeProgress: not PROCESSING) and the bundle's rows are
     * ACTIVE at their versions (install) or gone (remove) — the rows alone say ACTIVE before the
     * deployment has finished. Returns as soon as a domain settles or its deployment reached a
     * stage the workflow has not recorded yet, so progress shows each stage.
     */
    async waitForDeployments(input: { watching: DeploymentWatch[] }): Promise<DeploymentStatus[]> {
      const now = Date.now();
      const out: DeploymentStatus[] = [];
      for (const w of input.watching) {
        const view = await domainView(w.domain);
        const deployment = { ...view.deployment, ...(await changeProgress(w.domain)) };
        const rows = new Map((await domainRows(w.domain)).map((r) => [r.packageId, r]));
        const failedRow = w.packages
          .map((p) => rows.get(p.packageId))
          .find((r) => r?.status === 'ASSOCIATION_FAILED' || r?.status === 'DISSOCIATION_FAILED');
        const rowsDone = w.packages.every((p) => {
          const r = rows.get(p.packageId);
          return w.removing ? !r : r?.status === 'ACTIVE' && (!p.version || r.version === p.version);
        });
        const deploying = deployment.processing || deployment.changeStatus === 'PROCESSING';
        if (failedRow)
          out.push({
            domain: w.domain,
            outcome: 'failed',
            deployment,
            error: {
              type: w.removing ? FailureTypes.DissociationFailed : FailureTypes.AssociationFailed,
              message: `${failedRow.packageId} ${failedRow.status}: ${failedRow.error ?? ''}`.trim(),
            },
          });
        else if (deployment.changeStatus === 'FAILED')
          out.push({
            domain: w.domain,
            outcome: 'failed',
            deployment,
            error: {
              type: FailureTypes.DeploymentFailed,
              message: `the blue/green deployment ${deployment.changeId ?? ''} FAILED`,
            },
          });
        else if (rowsDone && !deploying) out.push({ domain: w.domain, outcome: 'done', deployment });
        else if (now >= w.deadline)
          out.push({
            domain: w.domain,
            outcome: 'deadline',
            deployment,
            error: {
              type: FailureTypes.AssociationDeadlineExceeded,
              message: `the deployment did not finish before the deadline (last seen: ${stageKey(deployment)})`,
            },
          });
        else if (stageKey(deployment) !== w.seen)
          out.push({ domain: w.domain, outcome: 'progress', deployment });
      }
      if (out.length > 0) return out;
      throw notReady(`${input.watching.length} domain(s) still deploying`);
    },
  };
}

function bundleRow(d: DomainPackageDetails): BundleRow {
  return {
    packageId: d.PackageID!,
    status: d.DomainPackageStatus ?? 'UNKNOWN',
    ...(d.PackageVersion ? { version: d.PackageVersion } : {}),
    ...(d.ErrorDetails
      ? { error: `${d.ErrorDetails.ErrorType ?? ''} ${d.ErrorDetails.ErrorMessage ?? ''}`.trim() }
      : {}),
  };
}

import {
  CreatePackageCommand,
  CreatePackageVersionCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
  ListPackageVersionsCommand,
  UpdatePackageCommand,
  UpdatePackageVersionCommand,
  type PackageVersionArtifact,
} from '@aws-sdk/client-iot';
import type {
  IotArtifact,
  IotPackageInfo,
  IotVersionInfo,
  IotVersionStatus,
  IotVersionSummary,
} from '../model/iot-package-release.js';
import { isAwsError, toActivityFailure } from './aws-errors.js';
import type { ActivityDeps } from './deps.js';

export type { IotPackageInfo, IotVersionInfo, IotVersionSummary } from '../model/iot-package-release.js';

/** 'changed': this call made the change; 'already-done': AWS was already in the wanted state. */
export type IotChange = 'changed' | 'already-done';

/** Every mutating call carries a clientToken from the workflow: without one the SDK invents a random one per call. */
export interface Tokened {
  clientToken: string;
}

const VERSION_LIST_PAGE = 100;

function toArtifact(a: IotArtifact | undefined): PackageVersionArtifact | undefined {
  return a
    ? {
        s3Location: {
          bucket: a.bucket,
          key: a.key,
          ...(a.version !== undefined ? { version: a.version } : {}),
        },
      }
    : undefined;
}

function fromArtifact(a: PackageVersionArtifact | undefined): IotArtifact | undefined {
  const s3 = a?.s3Location;
  if (!s3?.bucket || !s3.key) return undefined;
  return { bucket: s3.bucket, key: s3.key, ...(s3.version ? { version: s3.version } : {}) };
}

function epochMs(d: Date | undefined): number {
  return d instanceof Date ? d.getTime() : 0;
}

/**
 * AWS IoT software package catalog. One AWS call per activity, except where a ConflictException
 * has to be explained by a read: "already exists" / "already in that state" after a retry whose
 * first answer was lost is success, anything else stays a failure.
 */
export function createIotActivities(deps: ActivityDeps) {
  const { iot } = deps.aws;
  const at = (packageName: string, versionName?: string) =>
    versionName ? `${packageName}@${versionName}` : packageName;

  async function getIotPackage(input: { packageName: string }): Promise<IotPackageInfo | null> {
    try {
      const out = await iot.send(new GetPackageCommand({ packageName: input.packageName }));
      return {
        packageName: out.packageName ?? input.packageName,
        ...(out.packageArn ? { packageArn: out.packageArn } : {}),
        ...(out.defaultVersionName ? { defaultVersionName: out.defaultVersionName } : {}),
      };
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toActivityFailure(err, { service: 'iot', operation: 'GetPackage', packageId: input.packageName });
    }
  }

  async function getIotPackageVersion(input: {
    packageName: string;
    versionName: string;
  }): Promise<IotVersionInfo | null> {
    try {
      const out = await iot.send(new GetPackageVersionCommand(input));
      const artifact = fromArtifact(out.artifact);
      return {
        packageName: out.packageName ?? input.packageName,
        versionName: out.versionName ?? input.versionName,
        status: (out.status ?? 'DRAFT') as IotVersionStatus,
        description: out.description ?? '',
        attributes: out.attributes ?? {},
        ...(artifact ? { artifact } : {}),
        ...(out.packageVersionArn ? { packageVersionArn: out.packageVersionArn } : {}),
        creationDate: epochMs(out.creationDate),
      };
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return null;
      throw toActivityFailure(err, {
        service: 'iot',
        operation: 'GetPackageVersion',
        packageId: at(input.packageName, input.versionName),
      });
    }
  }

  return {
    getIotPackage,
    getIotPackageVersion,

    /** 'already-done' when the package exists (an earlier attempt, or someone else, created it). */
    async createIotPackage(
      input: { packageName: string; description?: string; tags?: Record<string, string> } & Tokened,
    ): Promise<IotChange> {
      try {
        await iot.send(
          new CreatePackageCommand({
            packageName: input.packageName,
            ...(input.description ? { description: input.description } : {}),
            ...(input.tags && Object.keys(input.tags).length > 0 ? { tags: input.tags } : {}),
            clientToken: input.clientToken,
          }),
        );
        return 'changed';
      } catch (err) {
        if (isAwsError(err, 'ConflictException') && (await getIotPackage(input))) return 'already-done';
        throw toActivityFailure(err, {
          service: 'iot',
          operation: 'CreatePackage',
          packageId: input.packageName,
        });
      }
    },

    /**
     * Creates the version in DRAFT. A ConflictException is answered with the version as it stands
     * (outcome 'already-existed'), so the workflow can compare content: equal content means an
     * earlier attempt of ours got through, other content is somebody else's version.
     */
    async createIotPackageVersion(
      input: {
        packageName: string;
        versionName: string;
        description: string;
        attributes: Record<string, string>;
        artifact?: IotArtifact;
        tags?: Record<string, string>;
      } & Tokened,
    ): Promise<{ outcome: 'created' | 'already-existed'; version: IotVersionInfo }> {
      const artifact = toArtifact(input.artifact);
      try {
        const out = await iot.send(
          new CreatePackageVersionCommand({
            packageName: input.packageName,
            versionName: input.versionName,
            ...(input.description ? { description: input.description } : {}),
            ...(Object.keys(input.attributes).length > 0 ? { attributes: input.attributes } : {}),
            ...(artifact ? { artifact } : {}),
            ...(input.tags && Object.keys(input.tags).length > 0 ? { tags: input.tags } : {}),
            clientToken: input.clientToken,
          }),
        );
        return {
          outcome: 'created',
          version: {
            packageName: input.packageName,
            versionName: input.versionName,
            status: (out.status ?? 'DRAFT') as IotVersionStatus,
            description: out.description ?? input.description,
            attributes: out.attributes ?? input.attributes,
            ...(input.artifact ? { artifact: input.artifact } : {}),
            ...(out.packageVersionArn ? { packageVersionArn: out.packageVersionArn } : {}),
            creationDate: 0,
          },
        };
      } catch (err) {
        if (isAwsError(err, 'ConflictException')) {
          const existing = await getIotPackageVersion(input);
          if (existing) return { outcome: 'already-existed', version: existing };
        }
        throw toActivityFailure(err, {
          service: 'iot',
          operation: 'CreatePackageVersion',
          packageId: at(input.packageName, input.versionName),
        });
      }
    },

    /**
     * PUBLISH or DEPRECATE. 'already-done' when a ConflictException is explained by the version
     * already having the wanted status (a retry after a lost answer, or a concurrent release).
     */
    async updateIotPackageVersionStatus(
      input: { packageName: string; versionName: string; action: 'PUBLISH' | 'DEPRECATE' } & Tokened,
    ): Promise<IotChange> {
      const wanted: IotVersionStatus = input.action === 'PUBLISH' ? 'PUBLISHED' : 'DEPRECATED';
      try {
        await iot.send(
          new UpdatePackageVersionCommand({
            packageName: input.packageName,
            versionName: input.versionName,
            action: input.action,
            clientToken: input.clientToken,
          }),
        );
        return 'changed';
      } catch (err) {
        if (isAwsError(err, 'ConflictException')) {
          const now = await getIotPackageVersion(input);
          if (now?.status === wanted) return 'already-done';
        }
        throw toActivityFailure(err, {
          service: 'iot',
          operation: 'UpdatePackageVersion',
          packageId: at(input.packageName, input.versionName),
        });
      }
    },

    /** UpdatePackage defaultVersionName; 'already-done' when a conflict is explained by it already being set. */
    async setIotDefaultVersion(
      input: { packageName: string; versionName: string } & Tokened,
    ): Promise<IotChange> {
      try {
        await iot.send(
          new UpdatePackageCommand({
            packageName: input.packageName,
            defaultVersionName: input.versionName,
            clientToken: input.clientToken,
          }),
        );
        return 'changed';
      } catch (err) {
        if (isAwsError(err, 'ConflictException')) {
          const pkg = await getIotPackage(input);
          if (pkg?.defaultVersionName === input.versionName) return 'already-done';
        }
        throw toActivityFailure(err, {
          service: 'iot',
          operation: 'UpdatePackage',
          packageId: at(input.packageName, input.versionName),
        });
      }
    },

    /**
     * One page of versions (up to 100) per call, so a retry repeats one page, not the whole
     * listing; the workflow follows nextToken. Filtered by status on the AWS side.
     */
    async listIotPackageVersions(input: {
      packageName: string;
      status?: IotVersionStatus;
      nextToken?: string;
    }): Promise<{ versions: IotVersionSummary[]; nextToken?: string }> {
      try {
        const out = await iot.send(
          new ListPackageVersionsCommand({
            packageName: input.packageName,
            ...(input.status ? { status: input.status } : {}),
            maxResults: VERSION_LIST_PAGE,
            ...(input.nextToken ? { nextToken: input.nextToken } : {}),
          }),
        );
        return {
          versions: (out.packageVersionSummaries ?? []).flatMap((v) =>
            v.versionName
              ? [
                  {
                    versionName: v.versionName,
                    status: (v.status ?? 'DRAFT') as IotVersionStatus,
                    creationDate: epochMs(v.creationDate),
                  },
                ]
              : [],
          ),
          ...(out.nextToken ? { nextToken: out.nextToken } : {}),
        };
      } catch (err) {
        throw toActivityFailure(err, {
          service: 'iot',
          operation: 'ListPackageVersions',
          packageId: input.packageName,
        });
      }
    },
  };
}

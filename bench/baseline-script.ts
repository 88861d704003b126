/**
 * The baselines for scenario 1 and 2: the same rollout as `dictionaryRollout`, written as the plain
 * script one would write without Temporal. It makes the same AWS calls in the same order (stage in
 * S3, find / create the package, poll until AVAILABLE, read the domains once, then AssociatePackage
 * in a sliding window of `maxConcurrency`, one ListDomainsForPackage read per polling round, first
 * read right after a batch starts, then every `pollIntervalMs`), but keeps its state in memory: a
 * crash loses the rollout. `maxConcurrency: 1` is the usual hand-written tool, one domain at a time.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DescribePackagesCommand,
  ListDomainsForPackageCommand,
  UpdatePackageCommand,
  type PackageDetails,
} from '@aws-sdk/client-opensearch';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../src/aws/clients.js';

export interface ScriptRolloutOptions {
  packageName: string;
  text: string;
  bucket: string;
  prefix: string;
  domains: readonly string[];
  maxConcurrency: number;
  pollIntervalMs: number;
}

export interface ScriptRolloutResult {
  packageId: string;
  targetVersion: string;
  current: number;
  failed: number;
  /** Polling rounds while associating (each reads every page of ListDomainsForPackage once). */
  pollRounds: number;
}

const MARKER = /\[sha256:([0-9a-f]{64})\]/;

export async function runScriptRollout(
  aws: AwsClients,
  o: ScriptRolloutOptions,
): Promise<ScriptRolloutResult> {
  const { opensearch, s3 } = aws;
  // ---- stage: content-addressed key, written once --------------------------------------
  const content = Buffer.from(o.text, 'utf8');
  const sha = createHash('sha256').update(content).digest('hex');
  const key = `${o.prefix}${sha}.txt`;
  let staged = false;
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: o.bucket, Key: key }));
    staged = head.ContentLength === content.length;
  } catch (err) {
    if ((err as Error).name !== 'NotFound' && (err as Error).name !== 'NoSuchKey') throw err;
  }
  if (!staged)
    await s3.send(
      new PutObjectCommand({
        Bucket: o.bucket,
        Key: key,
        Body: content,
        ContentType: 'text/plain; charset=utf-8',
        Metadata: { sha256: sha },
      }),
    );

  // ---- package: find, create or update -------------------------------------------------
  const description = `[sha256:${sha}]`;
  const describe = async (name: 'PackageName' | 'PackageID', value: string) => {
    const out = await opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: name, Value: [value] }], MaxResults: 100 }),
    );
    return (out.PackageDetailsList ?? []).find((p) =>
      name === 'PackageName' ? p.PackageName === value : p.PackageID === value,
    );
  };
  let pkg: PackageDetails | undefined = await describe('PackageName', o.packageName);
  if (!pkg) {
    pkg = (
      await opensearch.send(
        new CreatePackageCommand({
          PackageName: o.packageName,
          PackageType: 'TXT-DICTIONARY',
          PackageDescription: description,
          PackageSource: { S3BucketName: o.bucket, S3Key: key },
        }),
      )
    ).PackageDetails!;
  }
  if (MARKER.exec(pkg.PackageDescription ?? '')?.[1] !== sha) {
    pkg = (
      await opensearch.send(
        new UpdatePackageCommand({
          PackageID: pkg.PackageID!,
          PackageDescription: description,
          CommitMessage: `sha256:${sha}`,
          PackageSource: { S3BucketName: o.bucket, S3Key: key },
        }),
      )
    ).PackageDetails!;
  }
  const packageId = pkg.PackageID!;

  // ---- wait until AVAILABLE (same cadence as the workflow: min(poll, 10 s)) -------------
  const packagePollMs = Math.min(o.pollIntervalMs, 10_000);
  for (;;) {
    const p = await describe('PackageID', packageId);
    if (!p) throw new Error(`package ${packageId} vanished`);
    if (p.PackageStatus === 'VALIDATION_FAILED' || p.PackageStatus === 'COPY_FAILED')
      throw new Error(`package ${packageId} ${p.PackageStatus}`);
    if (p.PackageStatus === 'AVAILABLE' && MARKER.exec(p.PackageDescription ?? '')?.[1] === sha) {
      pkg = p;
      break;
    }
    await sleep(packagePollMs);
  }
  const targetVersion = pkg.AvailablePackageVersion!;

  const listRows = async () => {
    const rows = new Map<string, { status?: string; version?: string }>();
    let NextToken: string | undefined;
    do {
      const out = await opensearch.send(
        new ListDomainsForPackageCommand({ PackageID: packageId, MaxResults: 100, NextToken }),
      );
      for (const d of out.DomainPackageDetailsList ?? [])
        rows.set(d.DomainName!, { status: d.DomainPackageStatus, version: d.PackageVersion });
      NextToken = out.NextToken;
    } while (NextToken);
    return rows;
  };

  // ---- plan: skip domains already ACTIVE at the target version ---------------------------
  const before = await listRows();
  const queue = o.domains.filter((d) => {
    const r = before.get(d);
    return !(r?.status === 'ACTIVE' && r.version === targetVersion);
  });

  // ---- sliding window: start up to maxConcurrency, one read per round, refill as they settle
  let current = o.domains.length - queue.length;
  let failed = 0;
  let pollRounds = 0;
  const watching = new Set<string>();
  while (watching.size > 0 || queue.length > 0) {
    const batch: string[] = [];
    while (queue.length > 0 && watching.size + batch.length < o.maxConcurrency) batch.push(queue.shift()!);
    await Promise.all(
      batch.map(async (domain) => {
        try {
          await opensearch.send(new AssociatePackageCommand({ PackageID: packageId, DomainName: domain }));
          watching.add(domain);
        } catch (err) {
          if (/already in desired state/i.test((err as Error).message)) current++;
          else failed++;
        }
      }),
    );
    if (watching.size === 0) continue;
    for (let first = true; ; first = false) {
      if (!first) await sleep(o.pollIntervalMs);
      pollRounds++;
      const rows = await listRows();
      let settled = 0;
      for (const domain of [...watching]) {
        const r = rows.get(domain);
        if (r?.status === 'ACTIVE' && r.version === targetVersion) {
          watching.delete(domain);
          current++;
          settled++;
        } else if (r?.status === 'ASSOCIATION_FAILED') {
          watching.delete(domain);
          failed++;
          settled++;
        }
      }
      if (settled > 0) break;
    }
  }
  return { packageId, targetVersion, current, failed, pollRounds };
}

/** What the rollouts start from: domains, buckets, source files, applications, IoT artifacts, and the decoys no rollout may change. */
import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import {
  CreatePackageCommand as CreateIotPackageCommand,
  CreatePackageVersionCommand,
} from '@aws-sdk/client-iot';
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DescribePackagesCommand,
} from '@aws-sdk/client-opensearch';
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { stagingReadPolicy } from '../src/aws/staging-policy.js';
import { FLEET_ROLE } from './plan-fleet.js';
import type { AwsClients } from '../src/aws/clients.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import type { EmulatorStateSnapshot } from '../src/emulator/types.js';
import { ARTIFACT_BUCKET, SOURCE_BUCKET, STAGING_BUCKET, type Plan } from './plan.js';
import { sleep } from './reachability.js';
import type { ChaosNode } from './node.js';
import { alarmOf } from './starts.js';

export async function setUpFixtures(
  plan: Plan,
  aws: AwsClients,
  control: EmulatorControl,
  node: ChaosNode | undefined,
) {
  await control.seedDomains(plan.allDomains.map((name) => ({ name })));
  // Verified chains: their domains are the run's node (behind its slow proxy).
  for (const chain of plan.chains.filter((c) => c.kind === 'verified'))
    for (const d of chain.domains)
      await control.backDomain(d, { endpoint: node!.endpoint, configDir: node!.node.configDir });
  // Gated chains: one alarm per domain, OK until the plan fires it.
  await control.createAlarms(
    plan.chains
      .filter((c) => c.kind === 'gated')
      .flatMap((c) => c.domains.map((d) => ({ name: alarmOf(d) }))),
  );
  for (const chain of plan.chains)
    for (const d of chain.failingDomains)
      await control.configureDomain(d, { failAssociation: `chaos: ${d} rejects the analyzer file` });
  for (const Bucket of [STAGING_BUCKET, SOURCE_BUCKET, ARTIFACT_BUCKET])
    await aws.s3.send(new CreateBucketCommand({ Bucket }));
  // Fleet chains' place in another account copies the staged file out of the staging bucket: its
  // role must be allowed to read there (the emulator enforces bucket policies as S3 does).
  if (plan.chains.some((c) => c.kind === 'fleet'))
    await aws.s3.send(
      new PutBucketPolicyCommand({
        Bucket: STAGING_BUCKET,
        Policy: stagingReadPolicy(STAGING_BUCKET, [FLEET_ROLE]),
      }),
    );
  for (const c of plan.contents)
    await aws.s3.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: `${c.id}.txt`, Body: c.text }));
  for (const c of plan.pluginContents)
    await aws.s3.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: `${c.id}.zip`, Body: c.text }));
  const applications = new Map<string, string>();
  for (const chain of plan.chains.filter((c) => c.kind === 'attach')) {
    await control.setDurations({ applicationCreatingMs: chain.applicationCreatingMs ?? 0 });
    const app = await aws.opensearch.send(new CreateApplicationCommand({ name: chain.target }));
    applications.set(chain.target, app.id!);
  }
  await control.setDurations({ applicationCreatingMs: 0 });
  for (const chain of plan.chains.filter((c) => c.kind === 'iot'))
    for (const step of chain.steps)
      if (step.kind === 'iot')
        await aws.s3.send(
          new PutObjectCommand({
            Bucket: ARTIFACT_BUCKET,
            Key: `${chain.target}/${step.versionName}.bin`,
            Body: `firmware ${chain.target} ${step.versionName}`,
          }),
        );
  // Decoys: a package on a domain no rollout targets, and an IoT package no release names.
  await aws.s3.send(
    new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'decoy.txt', Body: 'decoy, untouched\n' }),
  );
  const decoy = await aws.opensearch.send(
    new CreatePackageCommand({
      PackageName: 'decoy-dict',
      PackageType: 'TXT-DICTIONARY',
      PackageSource: { S3BucketName: SOURCE_BUCKET, S3Key: 'decoy.txt' },
    }),
  );
  const decoyId = decoy.PackageDetails!.PackageID!;
  for (let i = 0; ; i++) {
    const d = await aws.opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageID', Value: [decoyId] }] }),
    );
    if (d.PackageDetailsList?.[0]?.PackageStatus === 'AVAILABLE') break;
    if (i > 100) throw new Error('decoy package never became AVAILABLE');
    await sleep(100);
  }
  await aws.opensearch.send(new AssociatePackageCommand({ PackageID: decoyId, DomainName: 'decoy-1' }));
  await aws.iot.send(new CreateIotPackageCommand({ packageName: 'decoy-fw' }));
  await aws.iot.send(new CreatePackageVersionCommand({ packageName: 'decoy-fw', versionName: '0.9.0' }));
  await sleep(1800); // the decoy association becomes ACTIVE
  return applications;
}

/** What no rollout may change: decoy domains, the decoy package, the decoy IoT package. */
export function decoyView(state: EmulatorStateSnapshot, plan: Plan) {
  return {
    domains: state.opensearch.domains
      .filter((d) => plan.decoyDomains.includes(d.name))
      .map((d) => ({ name: d.name, associations: d.associations })),
    package: state.opensearch.packages.filter((p) => p.name === 'decoy-dict'),
    iot: state.iot.packages.filter((p) => p.name === 'decoy-fw'),
  };
}

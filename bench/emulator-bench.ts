/**
 * Emulator benchmark: start-up time, and whether 1,000 domains with 20 packages each slow it down.
 * Measures and prints, asserts nothing. `npm run bench -- --only emulator` runs it as part of the
 * benchmark report (bench/scenarios/emulator.ts); on its own:
 * `npx tsx bench/emulator-bench.ts [--domains 1000]`.
 *
 * Latency is measured twice: round trip through the real SDK client (what callers feel) and the
 * emulator's own handling time from its call log (what the emulator costs).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DescribeDomainCommand,
  DescribePackagesCommand,
  ListDomainsForPackageCommand,
  ListPackagesForDomainCommand,
  OpenSearchClient,
} from '@aws-sdk/client-opensearch';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js';

export interface LatencySummary {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ProbeFigures {
  /** e.g. "DescribeDomain". */
  label: string;
  /** Through the SDK client, HTTP included. */
  roundTrip: LatencySummary;
  /** The emulator's handling time (its call log's durationMs). */
  handling: LatencySummary;
}

export interface EmulatorBenchFigures {
  domains: number;
  packagesPerDomain: number;
  samples: number;
  /** `node --import tsx src/emulator/main.ts` until its "listening" line, ms per try. */
  cliStartupMs: number[];
  /** `startEmulator()` in process, ms per try. */
  inProcessStartupMs: number[];
  seedMs: number;
  associateCalls: number;
  associateMs: number;
  associateInFlight: number;
  /** Probes with one domain and one association, then with every domain holding every package. */
  small: ProbeFigures[];
  large: ProbeFigures[];
  snapshot: { domains: number; associations: number; ms: number };
  /** RSS of the process running the emulator (and this benchmark's SDK clients), bytes. */
  rssBytes: number;
}

const PACKAGES_PER_DOMAIN = 20;
const SAMPLES = 200;
const IN_FLIGHT = 64;

function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  const meanMs = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
  return { meanMs, p50Ms: at(50), p99Ms: at(99) };
}

async function cliStartup(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await once(createInterface({ input: child.stdout }), 'line');
  const elapsed = performance.now() - started;
  child.kill('SIGTERM');
  await once(child, 'exit');
  return elapsed;
}

async function inProcessStartup(): Promise<number> {
  const started = performance.now();
  const emulator = await startEmulator();
  const elapsed = performance.now() - started;
  await emulator.stop();
  return elapsed;
}

async function probe(
  emulator: RunningEmulator,
  label: string,
  operation: string,
  call: () => Promise<unknown>,
): Promise<ProbeFigures> {
  await emulator.control.clearCalls();
  const roundTrips: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await call().catch(() => undefined);
    roundTrips.push(performance.now() - started);
  }
  const handled = (await emulator.control.calls({ operation })).map((c) => c.durationMs);
  return { label, roundTrip: summarize(roundTrips), handling: summarize(handled) };
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

export async function runEmulatorBench(
  options: { domains?: number; log?: (message: string) => void } = {},
): Promise<EmulatorBenchFigures> {
  const domains = options.domains ?? 1000;
  const log = options.log ?? (() => undefined);
  log('emulator: start-up times...');
  const cliStartupMs: number[] = [];
  for (let i = 0; i < 3; i++) cliStartupMs.push(await cliStartup());
  const inProcessStartupMs: number[] = [];
  for (let i = 0; i < 5; i++) inProcessStartupMs.push(await inProcessStartup());

  const emulator = await startEmulator({
    durations: { packageCopyingMs: 0, packageValidatingMs: 0, associationMs: 0 },
  });
  const common = {
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  };
  const opensearch = new OpenSearchClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'bench', Key: 'synonyms.txt', Body: Buffer.from('a, b\n') }),
    );
    const packageIds: string[] = [];
    for (let i = 0; i < PACKAGES_PER_DOMAIN; i++) {
      const out = await opensearch.send(
        new CreatePackageCommand({
          PackageName: `bench-${i}`,
          PackageType: 'TXT-DICTIONARY',
          PackageSource: { S3BucketName: 'bench', S3Key: 'synonyms.txt' },
        }),
      );
      packageIds.push(out.PackageDetails!.PackageID!);
    }
    await emulator.control.seedDomains([{ name: 'probe-domain' }]);
    const first = packageIds[0]!;

    const probes = async (): Promise<ProbeFigures[]> => [
      await probe(emulator, 'DescribeDomain', 'DescribeDomain', () =>
        opensearch.send(new DescribeDomainCommand({ DomainName: 'probe-domain' })),
      ),
      await probe(emulator, 'ListPackagesForDomain', 'ListPackagesForDomain', () =>
        opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'probe-domain' })),
      ),
      await probe(emulator, 'DescribePackages', 'DescribePackages', () =>
        opensearch.send(new DescribePackagesCommand({})),
      ),
      await probe(emulator, 'AssociatePackage (already current)', 'AssociatePackage', () =>
        opensearch.send(new AssociatePackageCommand({ PackageID: first, DomainName: 'probe-domain' })),
      ),
      await probe(emulator, 'ListDomainsForPackage (one page of up to 100)', 'ListDomainsForPackage', () =>
        opensearch.send(new ListDomainsForPackageCommand({ PackageID: first, MaxResults: 100 })),
      ),
    ];

    await opensearch.send(new AssociatePackageCommand({ PackageID: first, DomainName: 'probe-domain' }));
    log('emulator: probes with 1 domain...');
    const small = await probes();

    const names = Array.from({ length: domains }, (_, i) => `fleet-${String(i).padStart(4, '0')}`);
    let started = performance.now();
    await emulator.control.seedDomains(names.map((name) => ({ name })));
    const seedMs = performance.now() - started;
    log(`emulator: ${domains * PACKAGES_PER_DOMAIN} AssociatePackage calls...`);
    started = performance.now();
    const pairs = names.flatMap((domain) => packageIds.map((id) => ({ domain, id })));
    await inBatches(pairs, IN_FLIGHT, ({ domain, id }) =>
      opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: domain })),
    );
    const associateMs = performance.now() - started;
    log(`emulator: probes with ${domains} domains x ${PACKAGES_PER_DOMAIN} packages...`);
    const large = await probes();
    // What a rollout's polling round does at N = domains: read every page of the package's domains.
    large.push(
      await probe(
        emulator,
        `ListDomainsForPackage, all ${Math.ceil((domains + 1) / 100)} pages (handling: per page)`,
        'ListDomainsForPackage',
        async () => {
          let NextToken: string | undefined;
          do {
            const out = await opensearch.send(
              new ListDomainsForPackageCommand({ PackageID: first, MaxResults: 100, NextToken }),
            );
            NextToken = out.NextToken;
          } while (NextToken);
        },
      ),
    );

    started = performance.now();
    const state = await emulator.control.state();
    const snapshot = {
      domains: state.opensearch.domains.length,
      associations: state.opensearch.domains.reduce((n, d) => n + d.associations.length, 0),
      ms: performance.now() - started,
    };
    return {
      domains,
      packagesPerDomain: PACKAGES_PER_DOMAIN,
      samples: SAMPLES,
      cliStartupMs,
      inProcessStartupMs,
      seedMs,
      associateCalls: pairs.length,
      associateMs,
      associateInFlight: IN_FLIGHT,
      small,
      large,
      snapshot,
      rssBytes: process.memoryUsage().rss,
    };
  } finally {
    opensearch.destroy();
    s3.destroy();
    await emulator.stop();
  }
}

function printFigures(f: EmulatorBenchFigures): void {
  const ms = (s: LatencySummary) =>
    `mean ${s.meanMs.toFixed(3)} ms  p50 ${s.p50Ms.toFixed(3)}  p99 ${s.p99Ms.toFixed(3)}`;
  console.log(
    `startup, CLI to its "listening" line (tsx compile included): ${f.cliStartupMs.map((t) => t.toFixed(0)).join(', ')} ms`,
  );
  console.log(
    `startup, startEmulator() in process: ${f.inProcessStartupMs.map((t) => t.toFixed(1)).join(', ')} ms`,
  );
  for (const [phase, probes] of [
    ['1 domain', f.small],
    [`${f.domains} domains x ${f.packagesPerDomain} packages`, f.large],
  ] as const)
    for (const p of probes) {
      console.log(`${`${phase}: ${p.label} (SDK round trip)`.padEnd(70)} ${ms(p.roundTrip)}`);
      console.log(`${`${phase}: ${p.label} (emulator handling)`.padEnd(70)} ${ms(p.handling)}`);
    }
  console.log(`seeding ${f.domains} domains through the control API: ${f.seedMs.toFixed(0)} ms`);
  console.log(
    `${f.associateCalls} AssociatePackage calls (${f.associateInFlight} in flight): ${f.associateMs.toFixed(0)} ms, ` +
      `${((f.associateCalls / f.associateMs) * 1000).toFixed(0)} calls/s`,
  );
  console.log(
    `state() snapshot: ${f.snapshot.domains} domains, ${f.snapshot.associations} associations in ${f.snapshot.ms.toFixed(0)} ms`,
  );
  console.log(`resident memory: ${(f.rssBytes / 1024 / 1024).toFixed(0)} MiB (bench client included)`);
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const { values } = parseArgs({ options: { domains: { type: 'string', default: '1000' } } });
  runEmulatorBench({ domains: Number(values.domains), log: (m) => console.error(m) })
    .then(printFigures)
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}

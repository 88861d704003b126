/**
 * Scenario 9 (fleet): one dictionary rollout to 1,000 domains in 10 places (5 Regions × 2
 * accounts, 100 domains each, one package per place) against the same rollout to 1,000 domains in
 * the worker's own place, on the same stack, with the same association latency, poll interval and
 * total concurrency (50 in flight: 5 per place × 10, or 50 in one place) — and once more with 50
 * per place, the fleet's default reading of maxConcurrency. Figures: wall time, history events
 * and bytes, workflow tasks, activities scheduled.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { createPlaceClients } from '../../src/aws/places.js';
import { stagingReadPolicy } from '../../src/aws/staging-policy.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import type { DictionaryRolloutInput } from '../../src/model/dictionary-rollout.js';
import type { Place } from '../../src/model/place.js';
import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { bytes, groupDigits, markdownTable, ratio, seconds } from '../lib/format.js';
import { historyFigures, type HistoryFigures } from '../lib/history.js';
import { dictionaryText, domainNames, durationsFor, type RolloutSpec } from '../lib/rollouts.js';
import { STAGING_BUCKET, STAGING_PREFIX } from '../lib/stack.js';

const ROLE_B = 'arn:aws:iam::210987654321:role/bench-fleet';
const REGIONS = ['eu-west-1', 'eu-central-1', 'ap-southeast-2', 'us-west-2'];

interface FleetRun {
  label: string;
  places: number;
  domains: number;
  perPlaceConcurrency: number;
  wallMs: number;
  current: number;
  failed: number;
  history: HistoryFigures;
}

/** The 10 places: the worker's own (plain names), 4 more Regions of its account, 5 Regions of account B. */
function fleetPlaces(): Array<Place | undefined> {
  return [
    undefined,
    ...REGIONS.map((region) => ({ region })),
    ...['us-east-1', ...REGIONS].map((region) => ({ region, roleArn: ROLE_B })),
  ];
}

async function prepareFleet(ctx: BenchContext, spec: RolloutSpec, perPlace: number) {
  const { stack } = ctx;
  const names = domainNames(perPlace, 'fleet');
  await stack.resetAws({ durations: durationsFor(spec), domains: names });
  await stack.control.registerRoles([{ arn: ROLE_B }]);
  // Account B's places copy the staged file out of the staging bucket: its policy lets them read.
  await stack.aws.s3.send(
    new PutBucketPolicyCommand({
      Bucket: STAGING_BUCKET,
      Policy: stagingReadPolicy(STAGING_BUCKET, [ROLE_B], STAGING_PREFIX),
    }),
  );
  const clients = createPlaceClients({
    endpoint: stack.emulatorUrl,
    credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
  });
  const buckets: Record<string, string> = {};
  const domains: DictionaryRolloutInput['domains'] = [];
  try {
    for (const place of fleetPlaces()) {
      if (!place) {
        domains.push(...names);
        continue;
      }
      const key = place.roleArn ? `${place.region}/210987654321` : place.region;
      const bucket = `bench-fleet-${key.replace('/', '-')}`;
      buckets[key] = bucket;
      const aws = await clients.clientsFor(place);
      await aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await stack.control.at(place).seedDomains(names.map((name) => ({ name })));
      domains.push(...names.map((domain) => ({ domain, ...place })));
    }
  } finally {
    clients.destroy();
  }
  return { domains, buckets };
}

async function run(
  ctx: BenchContext,
  label: string,
  spec: RolloutSpec,
  places: number,
  perPlaceConcurrency: number,
  target: { domains: DictionaryRolloutInput['domains']; buckets?: Record<string, string> },
): Promise<FleetRun> {
  const tag = randomUUID().slice(0, 8);
  ctx.log(`scenario 9: ${label}...`);
  // A worker of its own: resetting the emulator ends the role sessions a worker's place clients hold.
  const worker = await ctx.stack.startWorker();
  const started = performance.now();
  const { handle, workflowId } = await startDictionaryRollout(
    ctx.stack.client,
    {
      packageName: `fleet-${tag}`,
      source: { kind: 'inline', text: dictionaryText(tag) },
      staging: {
        bucket: STAGING_BUCKET,
        prefix: STAGING_PREFIX,
        ...(target.buckets ? { buckets: target.buckets } : {}),
      },
      domains: target.domains,
      policy: {
        maxConcurrency: perPlaceConcurrency,
        pollIntervalSeconds: spec.pollIntervalSeconds,
        waves: { strategy: 'sizes', canary: 0, sizes: [1000] },
        failurePolicy: 'continue',
      },
    },
    { taskQueue: worker.taskQueue },
  );
  const result = await dictionaryRolloutResult(handle);
  const wallMs = performance.now() - started;
  await worker.stop();
  return {
    label,
    places,
    domains: target.domains.length,
    perPlaceConcurrency,
    wallMs,
    current: result.counts.current + result.counts.skipped,
    failed: result.counts.failed,
    history: await historyFigures(ctx.stack.client, workflowId),
  };
}

export async function fleetScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { config } = ctx;
  const total = config.quick ? 40 : 1000;
  const perPlace = total / 10;
  const spec = ctx.specAt(total);
  const single = domainNames(total);
  await ctx.stack.resetAws({ durations: durationsFor(spec), domains: single });
  const runs: FleetRun[] = [];
  runs.push(
    await run(ctx, `1 place, ${total} domains, C=${spec.maxConcurrency}`, spec, 1, spec.maxConcurrency, {
      domains: single,
    }),
  );
  const perPlaceC = Math.max(1, spec.maxConcurrency / 10);
  runs.push(
    await run(
      ctx,
      `10 places × ${perPlace}, C=${perPlaceC} per place`,
      spec,
      10,
      perPlaceC,
      await prepareFleet(ctx, spec, perPlace),
    ),
  );
  runs.push(
    await run(
      ctx,
      `10 places × ${perPlace}, C=${spec.maxConcurrency} per place`,
      spec,
      10,
      spec.maxConcurrency,
      await prepareFleet(ctx, spec, perPlace),
    ),
  );
  const base = runs[0]!;
  const tasks = (r: FleetRun) => r.history.eventTypes.WorkflowTaskCompleted ?? 0;
  const scheduled = (r: FleetRun) => Object.values(r.history.activities).reduce((s, a) => s + a.scheduled, 0);
  const polls = (r: FleetRun) => r.history.activities.waitForAssociations?.attempts ?? 0;
  return {
    id: 9,
    title: 'Fleet: 1,000 domains in 10 places',
    setup:
      `One dictionary rollout to ${total} domains in the worker's own place, then to ${total} domains in 10 places ` +
      `(the worker's own, 4 more Regions of its account, 5 Regions of a second account through STS AssumeRole; ` +
      `${perPlace} domains and one package each), association ${spec.associationMs / 1000} s, poll ${spec.pollIntervalSeconds} s, ` +
      'one wave, continue policy. One workflow; per wave, one sliding window per place.',
    table: markdownTable(
      [
        'run',
        'wall',
        'vs 1 place',
        'events',
        'vs 1 place',
        'bytes',
        'workflow tasks',
        'activities',
        'poll attempts',
        'current / failed',
      ],
      runs.map((r) => [
        r.label,
        seconds(r.wallMs),
        ratio(r.wallMs, base.wallMs),
        groupDigits(r.history.events),
        ratio(r.history.events, base.history.events),
        bytes(r.history.bytes),
        groupDigits(tasks(r)),
        groupDigits(scheduled(r)),
        groupDigits(polls(r)),
        `${r.current} / ${r.failed}`,
      ]),
    ),
    notes: [
      `Events per domain: 1 place ${(base.history.events / base.domains).toFixed(2)}, ` +
        runs
          .slice(1)
          .map((r) => `${r.label}: ${(r.history.events / r.domains).toFixed(2)}`)
          .join('; ') +
        '. Temporal warns at 10,240 events and ends a run at 51,200.',
      'A place adds its preparation (copy, find, quota check, create, wait: ~5 activities) and its own polling ' +
        'activity per round; associations cost the same per domain wherever the domain is.',
    ],
  };
}

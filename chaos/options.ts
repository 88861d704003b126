/**
 * Command line of `npm run chaos`:
 *
 *   npm run chaos                         standard size, a fresh random seed (printed)
 *   npm run chaos -- --seed 1234          replay a seed
 *   npm run chaos -- --quick              a smaller run (fewer rollouts and kill points)
 *   npm run chaos -- --size standard|quick
 *   npm run chaos -- --keep               keep the run directory (database, logs, summary)
 */
export type ChaosSize = 'quick' | 'standard';

export interface SizeSpec {
  /** Dictionary chains: one package each, rolled several times, some then removed. */
  dictionaryChains: number;
  /** Rollouts of new content per dictionary chain (then a re-run of the last content). */
  contentsPerChain: number;
  iotChains: number;
  /** Versions released per IoT package (then a re-run of the last one). */
  releasesPerChain: number;
  attachmentPairs: number;
  /** Verified rollouts on domains backed by the run's one OpenSearch node (refresh, close/open, probes). */
  verifiedChains: number;
  /** Rollouts with a bake, an alarm gate, a webhook gate and notifications (a planned gate failure each). */
  gatedChains: number;
  /** Plugin rollouts (ZIP-PLUGIN, blue/green deployments). */
  pluginChains: number;
  /** Fleet rollouts: a dictionary on 4-6 domains over three places (two Regions, two accounts). */
  fleetChains: number;
  /** Worker SIGKILLs. */
  killPoints: number;
  /** Phase kill points during the drain (bake, refresh, probes, blue/green in turn; no kill when none is found). */
  phaseKillPoints: number;
  /** Kills in a data-plane request (each stalls that verification for the activity's 2-minute timeout). */
  maxDataPlaneKills: number;
  /** Seconds between two kills: uniform in [min, max]. */
  killIntervalSeconds: [number, number];
  /** Dev server restarts (stop, then start on the same database file) during the run. */
  serverRestarts: number;
  /** Dev server crashes (SIGKILL, then start on the same database file) during the run. */
  serverKills: number;
  /** After the last kill: how long open rollouts may take to end before they count as stuck. */
  drainSeconds: number;
}

export const SIZES: Record<ChaosSize, SizeSpec> = {
  standard: {
    dictionaryChains: 6,
    contentsPerChain: 3,
    iotChains: 3,
    releasesPerChain: 3,
    attachmentPairs: 3,
    verifiedChains: 2,
    gatedChains: 3,
    pluginChains: 2,
    fleetChains: 2,
    killPoints: 24,
    maxDataPlaneKills: 2,
    phaseKillPoints: 16,
    killIntervalSeconds: [1.5, 3.5],
    serverRestarts: 1,
    serverKills: 2,
    drainSeconds: 240,
  },
  quick: {
    dictionaryChains: 3,
    contentsPerChain: 2,
    iotChains: 2,
    releasesPerChain: 2,
    attachmentPairs: 2,
    verifiedChains: 1,
    gatedChains: 2,
    pluginChains: 1,
    fleetChains: 1,
    killPoints: 10,
    maxDataPlaneKills: 1,
    phaseKillPoints: 8,
    killIntervalSeconds: [2, 4],
    serverRestarts: 1,
    serverKills: 1,
    drainSeconds: 240,
  },
};

export interface ChaosOptions {
  seed: number;
  size: ChaosSize;
  spec: SizeSpec;
  keep: boolean;
}

export class UsageError extends Error {}

export function parseOptions(argv: string[]): ChaosOptions {
  let seed: number | undefined;
  let size: ChaosSize = 'standard';
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--seed': {
        const v = value();
        if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff)
          throw new UsageError(`--seed must be a whole number from 0 to ${0xffffffff}, got '${v}'`);
        seed = Number(v);
        break;
      }
      case '--quick':
        size = 'quick';
        break;
      case '--size': {
        const v = value();
        if (v !== 'quick' && v !== 'standard')
          throw new UsageError(`--size must be quick or standard, got '${v}'`);
        size = v;
        break;
      }
      case '--keep':
        keep = true;
        break;
      case '--help':
      case '-h':
        throw new UsageError('usage');
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  return {
    seed: seed ?? Math.floor(Math.random() * 0xffffffff),
    size,
    spec: SIZES[size],
    keep,
  };
}

export const USAGE = [
  'Usage: npm run chaos -- [--seed N] [--quick | --size quick|standard] [--keep]',
  '',
  '  --seed N   replay a run: the same plan, fault dice and kill schedule',
  '  --quick    fewer rollouts and kill points (a couple of minutes)',
  '  --keep     keep the run directory (Temporal database, worker logs, summary.json)',
].join('\n');

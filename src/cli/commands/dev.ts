import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DictionaryRolloutInput } from '../../model/dictionary-rollout.js';
import type { Options } from '../args.js';
import type { Command } from '../command.js';

/** The sample: one package, rolled out again on every demo run with new content (v1, v2, ...). */
export const DEMO_PACKAGE = 'demo-synonyms';
export const DEMO_BUCKET = 'package-rollouts-demo';
export const DEMO_TASK_QUEUE = 'package-rollouts-demo';

export const DEV_OPTIONS: Options = {
  'exit-when-done': {
    type: 'boolean',
    help: 'exit when the sample rollout ends (exit code from its outcome)',
  },
  headless: { type: 'boolean', help: 'no Web UI (the dev server only)' },
  'data-dir': {
    type: 'string',
    arg: 'dir',
    help: 'state of the dev server and emulator [ROLLOUTS_DATA_DIR, $XDG_DATA_HOME/package-rollouts]',
  },
  port: { type: 'string', arg: 'n', help: 'dev server gRPC port (0 = any free port) [7233]' },
  'ui-port': { type: 'string', arg: 'n', help: 'Web UI port (0 = any free port) [8233]' },
  'emulator-port': { type: 'string', arg: 'n', help: 'AWS emulator port [any free port]' },
  domains: { type: 'string', arg: 'n', help: 'how many sample domains the emulator gets [4]' },
  interval: { type: 'string', arg: 'seconds', help: 'progress polling interval [0.5]' },
};

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.ROLLOUTS_DATA_DIR) return env.ROLLOUTS_DATA_DIR;
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'package-rollouts');
}

export function webUiLink(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}

/**
 * The sample's content changes on every run (a comment line with the time), so each run publishes.
 * Against the emulator it polls twice a second; against real AWS (associations take 2-10+ minutes)
 * it keeps the production defaults for polling and the per-domain deadline.
 */
/** The token the sample maps `demo` to: new every run (UTC time of day). */
export function demoProbeToken(now: Date): string {
  return `demo${now.toISOString().slice(11, 19).replace(/:/g, '')}`;
}

export function sampleInput(
  domains: string[],
  bucket: string,
  now = new Date(),
  target: 'emulator' | 'aws' = 'emulator',
): DictionaryRolloutInput {
  return {
    packageName: DEMO_PACKAGE,
    description: 'package-rollouts demo synonyms',
    source: {
      kind: 'inline',
      text: [
        `# package-rollouts demo, published ${now.toISOString()}`,
        'car, automobile, auto',
        'tv, television',
        'laptop, notebook computer',
        // A rule that changes every run, so the demo's probe shows the new version take effect.
        `demo => ${demoProbeToken(now)}`,
        '',
      ].join('\n'),
    },
    staging: { bucket },
    domains,
    policy: {
      maxConcurrency: 2,
      waves: { strategy: 'sizes', canary: 1, sizes: [2] },
      pauseBetweenWavesSeconds: 1,
      ...(target === 'emulator' ? { pollIntervalSeconds: 0.5, associationDeadlineSeconds: 600 } : {}),
    },
  };
}

export const devCommand: Command = {
  name: 'dev',
  summary: 'the demo: local Temporal + Web UI, the AWS emulator, a worker, and a sample rollout',
  usage: 'dev [--exit-when-done] [--headless] [--data-dir <dir>]',
  details: [
    'Starts a Temporal dev server with its Web UI (state in <data-dir>/dev.db), the AWS emulator',
    'seeded with sample domains and a staging bucket (state in <data-dir>/emulator.json), and a worker',
    `on task queue ${DEMO_TASK_QUEUE}; rolls the sample dictionary '${DEMO_PACKAGE}' out (canary, then waves),`,
    'shows its progress and the Web UI link of the run, and stays up until Ctrl-C.',
    '',
    'Each run publishes new content, so the domains move to the next version (v1, v2, ...). A sample',
    'left open by an interrupted run resumes with the worker and is followed to its end first.',
    '',
    'Environment: TEMPORAL_ADDRESS set = use that Temporal, no dev server (TEMPORAL_UI_URL for the link);',
    'ROLLOUTS_DEMO_DOMAINS=a,b + ROLLOUTS_DEMO_STAGING_BUCKET = real domains through the AWS SDK',
    "environment instead of the emulator. ROLLOUTS_TASK_QUEUE overrides the demo's task queue.",
  ].join('\n'),
  options: DEV_OPTIONS,
  connects: false,
  run: async (ctx) => (await import('./dev-demo.js')).runDemo(ctx),
};

/**
 * The hostile phase's refused URL kinds: a dictionary rollout whose `url` source points at the
 * instance metadata endpoint (IPv4 and IPv6), a link-local address, a private address, or a local
 * server that redirects to the metadata endpoint, run through the worker processes; each must end
 * InvalidSource naming the refusal, with no mutating AWS call. A rebinding name (first answer
 * loopback, every later answer the metadata endpoint: `localhost` here, since plain http is allowed
 * only there) needs a resolver the suite controls, so that
 * case runs the worker's own staging activity in this process with that resolver injected: the
 * first staging connects to the address it checked (one lookup), the second is refused before any
 * AWS call.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { createS3Activities } from '../src/activities/s3.js';
import type { AwsClients } from '../src/aws/clients.js';
import { loadStagingConfig } from '../src/config.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import { WorkflowTypes } from '../src/model/constants.js';
import { FailureTypes } from '../src/model/failures.js';
import type { ResolvedAddress } from '../src/net/outbound-url.js';
import { validInputs } from '../harness/hostile-inputs.js';
import { REBOUND_ADDRESS, REDIRECT_TARGET, REFUSED_URLS } from './hostile-urls.js';
import type { Violations } from './violations.js';

export interface UrlPolicyContext {
  client: Client;
  taskQueue: string;
  control: EmulatorControl;
  aws: AwsClients;
  violations: Violations;
  /** Buckets and domain the hostile phase set up. */
  stagingBucket: string;
  domain: string;
}

export interface UrlPolicyReport {
  cases: string[];
  runs: Array<{ workflowId: string; runId: string }>;
}

const REFUSED = /refused before connecting/;

export async function tryRefusedUrls(ctx: UrlPolicyContext): Promise<UrlPolicyReport> {
  const v = ctx.violations;
  const http = createServer((req, res) => {
    if (req.url === '/redirect-metadata') return void res.writeHead(302, { location: REDIRECT_TARGET }).end();
    if (req.url === '/rebind.txt') return void res.writeHead(200).end('rebind, rebound\n');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const cases: Array<{ id: string; url: string; kind: string }> = [
    ...REFUSED_URLS,
    { id: 'redirect-metadata', url: `http://127.0.0.1:${port}/redirect-metadata`, kind: 'metadata' },
  ];
  const runs: UrlPolicyReport['runs'] = [];
  const before = await lastSeq(ctx.control);
  try {
    await Promise.all(
      cases.map(async (c) => {
        const workflowId = `hostile/url-${c.id}/${randomUUID().slice(0, 8)}`;
        const handle = await ctx.client.workflow.start(WorkflowTypes.dictionaryRollout, {
          taskQueue: ctx.taskQueue,
          workflowId,
          args: [
            {
              ...validInputs.dictionaryRollout,
              packageName: `hostile-url-${c.id}`,
              source: { kind: 'url', url: c.url },
              staging: { bucket: ctx.stagingBucket },
              domains: [ctx.domain],
            },
          ],
          workflowExecutionTimeout: '3 minutes',
        });
        runs.push({ workflowId, runId: handle.firstExecutionRunId });
        const err = await handle.result().then(
          () => undefined,
          (e: unknown) => e,
        );
        const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
        const failure = cause instanceof ActivityFailure ? cause.cause : cause;
        const code = (
          failure instanceof ApplicationFailure
            ? (failure.details?.[0] as { code?: string } | undefined)
            : undefined
        )?.code;
        v.check(
          'a refused URL fails with a clear error before any AWS mutation',
          failure instanceof ApplicationFailure &&
            failure.type === FailureTypes.InvalidSource &&
            code === `Outbound:${c.kind}` &&
            REFUSED.test(failure.message),
          () =>
            `${c.id} (${c.url}): ${err === undefined ? 'completed' : `${String((failure as Error | undefined)?.message ?? err)} [${code}]`}`,
        );
      }),
    );
    const mutating = (await ctx.control.calls()).filter((c) => c.seq > before && c.mutating);
    v.check(
      'a refused URL fails with a clear error before any AWS mutation',
      mutating.length === 0,
      () => `mutating calls during the refused URL runs: ${mutating.map((c) => c.operation).join(', ')}`,
    );

    // The rebinding name, in process (the workers resolve through the system's DNS).
    const answers: ResolvedAddress[][] = [[{ address: '127.0.0.1', family: 4 }]];
    const lookups: string[] = [];
    const resolve = async (host: string) => {
      lookups.push(host);
      return lookups.length === 1 ? answers[0]! : [{ address: REBOUND_ADDRESS, family: 4 as const }];
    };
    const config = loadStagingConfig({});
    const staging = createS3Activities(
      { aws: ctx.aws },
      { ...config, outbound: { ...config.outbound, resolve } },
    );
    const input = {
      source: { kind: 'url' as const, url: `http://localhost:${port}/rebind.txt` },
      staging: { bucket: ctx.stagingBucket, prefix: 'package-rollouts/' },
      packageType: 'TXT-DICTIONARY' as const,
    };
    const first = await staging.stageDictionary(input).catch((e: unknown) => e);
    v.check(
      'a rebinding name connects to the address it checked, once',
      !(first instanceof Error) && lookups.length === 1,
      () => `first staging: ${first instanceof Error ? first.message : 'ok'}; lookups ${lookups.length}`,
    );
    const beforeRebound = await lastSeq(ctx.control);
    const rebound = await staging.stageDictionary(input).catch((e: unknown) => e);
    const reboundCalls = (await ctx.control.calls()).filter((c) => c.seq > beforeRebound);
    v.check(
      'a refused URL fails with a clear error before any AWS mutation',
      rebound instanceof ApplicationFailure &&
        rebound.type === FailureTypes.InvalidSource &&
        /resolves to 169\.254\.169\.254, a cloud instance metadata endpoint/.test(rebound.message) &&
        reboundCalls.length === 0,
      () =>
        `rebinding name: ${rebound instanceof Error ? rebound.message : 'staged'}; AWS calls ${reboundCalls.map((c) => c.operation).join(', ')}`,
    );
    return { cases: [...cases.map((c) => c.id), 'rebinding-name'], runs };
  } finally {
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
}

async function lastSeq(control: EmulatorControl): Promise<number> {
  return (await control.calls()).reduce((max, c) => Math.max(max, c.seq), 0);
}

/**
 * Staging memory: the worker's peak RSS while it stages 10 dictionaries of 100 MiB each from URL
 * sources at once (10 dictionary rollouts started together, dry runs, so the staging is the
 * work). Run on its own (it is not one of `npm run bench`'s numbered scenarios):
 *
 *   npx tsx bench/scenarios/staging-memory.ts [--size-mib 100] [--rollouts 10]
 *
 * Prints one row per staging concurrency (ROLLOUTS_STAGING_CONCURRENCY): the default 4, and 10
 * (all at once). Each row is a fresh worker process; peak RSS is the kernel's VmHWM for it.
 * Figures only: nothing here asserts a time or a size.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { bytes, markdownTable, seconds } from '../lib/format.js';
import { resetPeakRss, sampleProcess } from '../lib/processes.js';
import { STAGING_BUCKET, STAGING_PREFIX, startBenchStack, type BenchStack } from '../lib/stack.js';

const MiB = 1024 * 1024;

/** Serves `size` bytes of UTF-8 synonym lines per path, streamed, different for every path. */
function dictionaryServer(size: number): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(size) });
    const head = Buffer.from(`${req.url}, ${randomUUID()}\n`);
    const line = Buffer.from('car, automobile, auto, motorcar, voiture, coche, wagen\n');
    const block = Buffer.concat(Array.from({ length: Math.ceil((64 * 1024) / line.length) }, () => line));
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const piece = sent === 0 ? head : block.subarray(0, Math.min(block.length, size - sent));
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

interface Row {
  concurrency: number;
  wallMs: number;
  peakRss: number;
  rssBefore: number;
  ok: number;
}

async function measure(stack: BenchStack, base: string, rollouts: number, concurrency: number): Promise<Row> {
  process.env.ROLLOUTS_STAGING_CONCURRENCY = String(concurrency);
  const worker = await stack.startWorker();
  try {
    await stack.resetAws({
      durations: { associationMs: 100, packageCopyingMs: 100, packageValidatingMs: 100 },
      domains: ['staging-bench'],
    });
    // Warm the worker up (workflow bundle loaded, connections open) with one small rollout first.
    const warm = await startDictionaryRollout(
      stack.client,
      {
        packageName: `warm-${randomUUID().slice(0, 8)}`,
        source: { kind: 'inline', text: 'warm, up\n' },
        staging: { bucket: STAGING_BUCKET, prefix: STAGING_PREFIX },
        domains: ['staging-bench'],
        dryRun: true,
      },
      { taskQueue: worker.taskQueue },
    );
    await dictionaryRolloutResult(warm.handle);
    const peakReset = resetPeakRss(worker.pid);
    const before = sampleProcess(worker.pid);
    let peakSeen = before.rssBytes;
    const sampler = setInterval(() => {
      try {
        peakSeen = Math.max(peakSeen, sampleProcess(worker.pid).rssBytes);
      } catch {
        // the worker is gone; the final sample reports it
      }
    }, 100);
    const started = performance.now();
    const runs = await Promise.all(
      Array.from({ length: rollouts }, async (_, i) => {
        const { handle } = await startDictionaryRollout(
          stack.client,
          {
            packageName: `staging-bench-${concurrency}-${i + 1}`,
            source: { kind: 'url', url: `${base}/d${concurrency}-${i + 1}.txt` },
            staging: { bucket: STAGING_BUCKET, prefix: STAGING_PREFIX },
            domains: ['staging-bench'],
            dryRun: true,
          },
          { taskQueue: worker.taskQueue },
        );
        return dictionaryRolloutResult(handle);
      }),
    );
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const after = sampleProcess(worker.pid);
    return {
      concurrency,
      wallMs,
      peakRss: peakReset ? after.peakRssBytes : Math.max(peakSeen, after.rssBytes),
      rssBefore: before.rssBytes,
      ok: runs.filter((r) => r.outcome !== 'failed').length,
    };
  } finally {
    await worker.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'size-mib': { type: 'string', default: '100' }, rollouts: { type: 'string', default: '10' } },
  });
  const size = Number(values['size-mib']) * MiB;
  const rollouts = Number(values.rollouts);
  const log = (m: string) => console.error(`[staging-memory] ${m}`);
  const stack = await startBenchStack(log);
  const { server, base } = await dictionaryServer(size);
  try {
    const rows: Row[] = [];
    for (const concurrency of [4, rollouts]) {
      log(`${rollouts} stagings of ${bytes(size)} with ROLLOUTS_STAGING_CONCURRENCY=${concurrency}...`);
      rows.push(await measure(stack, base, rollouts, concurrency));
    }
    console.log(
      `\n${rollouts} concurrent stagings of ${bytes(size)} each (URL sources), one worker process each row\n`,
    );
    console.log(
      markdownTable(
        ['staging concurrency', 'worker RSS before', 'worker peak RSS', 'wall time', 'rollouts ok'],
        rows.map((r) => [r.concurrency, bytes(r.rssBefore), bytes(r.peakRss), seconds(r.wallMs), r.ok]),
      ),
    );
  } finally {
    server.closeAllConnections();
    server.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * The suite's webhook and notification receiver, on loopback (plain http there is what the
 * outbound URL policy allows by default: ROLLOUTS_OUTBOUND_ALLOW_LOOPBACK). Each gated run gets
 * its own paths, `/gate/<run key>` and `/notify/<run key>`, and the receiver answers them as the
 * run's plan says (gate: ok, first attempt 500, first attempt hangs, always 500; notifications:
 * some seqs always 500, some seqs' first attempt hangs). Answers depend on the plan and on how many
 * requests a path has had, never on timing, so a seed answers the same way every time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatePlan } from './plan.js';

export interface ReceivedNotification {
  key: string;
  workflowId: string;
  runId: string;
  seq: number;
  event: string;
  /** What the receiver answered: an HTTP status, or 'hang' (no answer). */
  answer: number | 'hang';
}

export class Receiver {
  readonly notifications: ReceivedNotification[] = [];
  readonly gateCalls = new Map<string, Array<number | 'hang'>>();
  private readonly plans = new Map<string, GatePlan>();
  private readonly server: Server;
  private readonly attempts = new Map<string, number>();
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = this.answer(req.url ?? '/', Buffer.concat(chunks).toString('utf8'));
        if (answer === 'hang') return; // the caller's own timeout ends it
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(String(answer));
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Registers a run's plan; returns its webhook and notification URLs. */
  plan(key: string, plan: GatePlan): { gate: string; notify: string } {
    this.plans.set(key, plan);
    return { gate: `${this.url}/gate/${key}`, notify: `${this.url}/notify/${key}` };
  }

  private attempt(name: string): number {
    const n = (this.attempts.get(name) ?? 0) + 1;
    this.attempts.set(name, n);
    return n;
  }

  private answer(path: string, text: string): number | 'hang' {
    const m = /^\/(gate|notify)\/([A-Za-z0-9._-]+)$/.exec(path);
    const plan = m ? this.plans.get(m[2]!) : undefined;
    if (!m || !plan) return 404;
    const key = m[2]!;
    if (m[1] === 'gate') {
      const n = this.attempt(`gate ${key}`);
      const answer: number | 'hang' =
        plan.webhook === 'always-fail'
          ? 500
          : plan.webhook === 'fail-once' && n === 1
            ? 500
            : plan.webhook === 'hang-once' && n === 1
              ? 'hang'
              : 200;
      this.gateCalls.set(key, [...(this.gateCalls.get(key) ?? []), answer]);
      return answer;
    }
    let body: { workflowId?: string; runId?: string; seq?: number; event?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return 400;
    }
    const seq = Number(body.seq);
    const n = this.attempt(`notify ${key} ${body.runId} ${seq}`);
    const answer: number | 'hang' = plan.notifyFail.includes(seq)
      ? 500
      : plan.notifyHang.includes(seq) && n === 1
        ? 'hang'
        : 200;
    this.notifications.push({
      key,
      workflowId: String(body.workflowId),
      runId: String(body.runId),
      seq,
      event: String(body.event),
      answer,
    });
    return answer;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

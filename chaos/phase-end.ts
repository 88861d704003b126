/**
 * After the chaos phase: every run ended, the global state invariants, the decoys untouched, no
 * change outside what the plan targets, the new paths' end checks (the node's indexes, throttling),
 * each fleet chain's domains at their places' versions of its last successful run,
 * and the scan of every history the run made for secrets and file contents.
 */
import type { Client } from '@temporalio/client';
import type { EncryptionCodec } from '../src/codec/encryption-codec.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import {
  describeFindings,
  fileContentNeedles,
  scanHistories,
  secretNeedles,
  type ScanReport,
} from '../harness/history-secrets.js';
import { TASK_QUEUE, type ChainContext } from './chains.js';
import { checkNewPathsAtEnd } from './end-checks.js';
import { decoyView } from './fixtures.js';
import { fleetPlaceStates } from './fleet-places.js';
import { checkFleetChainEnd } from './invariants-fleet.js';
import { domainOfKey } from './plan-fleet.js';
import {
  checkAllTerminal,
  checkFailureSaysWhy,
  checkGlobalState,
  effective,
  type RunRecord,
} from './invariants.js';
import { pendingSummary } from './kills.js';
import { log } from './log.js';
import type { ChaosNode } from './node.js';
import type { Plan } from './plan.js';
import { whileReachable } from './reachability.js';
import type { Secrets } from './stack.js';
import type { Violations } from './violations.js';

export async function checkAfterRun(x: {
  client: Client;
  control: EmulatorControl;
  plan: Plan;
  records: RunRecord[];
  violations: Violations;
  ctx: ChainContext;
  node: ChaosNode | undefined;
  decoysBefore: ReturnType<typeof decoyView>;
  setupEnd: string;
  applications: Map<string, string>;
  secrets: Secrets;
  codec: EncryptionCodec;
  hostileRuns: Array<{ workflowId: string; runId: string }>;
}) {
  const {
    client,
    control,
    plan,
    records,
    violations,
    ctx,
    node,
    decoysBefore,
    setupEnd,
    applications,
    secrets,
    codec,
  } = x;
  const openIds = await checkAllTerminal(client, records, TASK_QUEUE, violations);
  for (const id of openIds) log(`STUCK: ${id}: ${await pendingSummary(client, id)}`);
  const finalState = await control.state();
  checkGlobalState(finalState, violations, ctx.republished);
  await checkNewPathsAtEnd({ plan, records, node, violations });
  const fleetChains = plan.chains.filter((c) => c.kind === 'fleet');
  if (fleetChains.length > 0) {
    const states = await fleetPlaceStates(control);
    for (const chain of fleetChains) checkFleetChainEnd(chain, records, states, violations);
  }
  const decoysAfter = decoyView(finalState, plan);
  violations.check(
    'nothing the result does not mention was changed',
    JSON.stringify(decoysAfter) === JSON.stringify(decoysBefore),
    () =>
      `decoy resources changed:\nbefore ${JSON.stringify(decoysBefore)}\nafter  ${JSON.stringify(decoysAfter)}`,
  );
  const calls = await control.calls();
  // Fleet chains name domains by target key: the call log names the domain alone.
  const planned = new Set(plan.chains.flatMap((c) => c.domains.map(domainOfKey)));
  for (const c of calls.filter((c) => effective(c) && c.realAt >= setupEnd && c.resource?.domainName))
    violations.check(
      'nothing the result does not mention was changed',
      planned.has(c.resource!.domainName!) || c.resource!.domainName!.startsWith('hostile-'),
      () => `${c.operation} on ${c.resource!.domainName} (seq ${c.seq}), which no rollout targets`,
    );
  const attachPairs = new Set(
    plan.chains
      .filter((c) => c.kind === 'attach')
      .map((c) => `${applications.get(c.target)} ${c.dataSource}`),
  );
  for (const a of finalState.opensearch.attachments)
    violations.check(
      'nothing the result does not mention was changed',
      attachPairs.has(`${a.applicationId} ${a.dataSourceArn}`),
      () =>
        `attachment ${a.attachmentId} of ${a.dataSourceArn} to ${a.applicationId}, which no rollout asked for`,
    );
  for (const r of records) checkFailureSaysWhy(r, violations);

  // ---- secrets in histories ------------------------------------------------------------------
  const needles = [
    ...secretNeedles('AWS_ACCESS_KEY_ID', secrets.accessKeyId),
    ...secretNeedles('AWS_SECRET_ACCESS_KEY', secrets.secretAccessKey),
    ...secretNeedles('AWS_SESSION_TOKEN', secrets.sessionToken),
    ...secretNeedles('ROLLOUTS_PAYLOAD_KEY', secrets.payloadKey),
    ...plan.contents.flatMap((c) => fileContentNeedles(`dictionary ${c.id}`, c.text)),
  ];
  const scanned = [...records.map((r) => ({ workflowId: r.workflowId, runId: r.runId })), ...x.hostileRuns];
  const scan: ScanReport = await whileReachable('history scan', () =>
    scanHistories(client, scanned, needles, codec),
  );
  violations.check(
    'histories hold no credential, key, token or file content',
    scan.findings.length === 0,
    () => describeFindings(scan.findings).join('\n'),
  );

  return { calls, scan };
}

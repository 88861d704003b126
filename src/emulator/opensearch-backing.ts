import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { referencePath, rowStatus } from './opensearch-associations.js';
import type { Domain, DomainStore } from './opensearch-domains.js';
import type { PackageStore } from './opensearch-packages.js';
import type { DomainBacking } from './types.js';

/**
 * Domains backed by a real OpenSearch node (set through the control API or the CLI): DescribeDomain
 * answers the node's endpoint, and the node's config directory holds what AWS would have put on
 * the domain's nodes. An association that has become ACTIVE writes that version's bytes to
 * `<configDir>/<ReferencePath>` (replacing the previous version's); a row that is gone removes
 * the file. Then, as AWS does on OpenSearch and Elasticsearch >= 7.8 domains, the emulator asks
 * the node to reload its search analyzers, best effort: the answer is logged, never fails anything.
 *
 * Statuses change with the emulator clock, not on events, so sync() compares what is on disk with
 * what the rows say now; it runs before every request is handled (a caller never sees ACTIVE
 * before the file is there), before every state snapshot, and on a short real-time tick.
 * reset() forgets them; the state file keeps them (a restarted emulator rewrites the files, as it
 * does not know what is on disk).
 */

interface Backed extends DomainBacking {
  /** PackageID -> the version whose bytes are in the file now. */
  written: Map<string, string>;
  /** The last sync failure logged, so a broken directory is reported once, not on every tick. */
  lastError?: string;
}

/** The node's side of the request is out of the emulator's hands: keep a slow node from piling up. */
const REFRESH_TIMEOUT_MS = 10_000;

export class DomainBackings {
  private readonly byDomain = new Map<string, Backed>();

  reset(): void {
    this.byDomain.clear();
  }

  /** null: the domain is no longer backed (files it wrote stay, as on a node that was let go). */
  set(name: string, backing: DomainBacking | null): void {
    if (backing === null) this.byDomain.delete(name);
    else
      this.byDomain.set(name, {
        ...backing,
        endpoint: backing.endpoint.replace(/\/+$/, ''),
        written: new Map(),
      });
  }

  get(name: string): DomainBacking | undefined {
    const backed = this.byDomain.get(name);
    if (!backed) return undefined;
    const { written: _written, ...backing } = backed;
    return backing;
  }

  /** Every backed domain and its node, for the state file. */
  entries(): Record<string, DomainBacking> {
    const out: Record<string, DomainBacking> = {};
    for (const name of this.byDomain.keys()) out[name] = this.get(name)!;
    return out;
  }

  sync(domains: DomainStore, packages: PackageStore, now: number): void {
    for (const [name, backed] of this.byDomain) {
      try {
        this.syncDomain(name, backed, domains, packages, now);
        delete backed.lastError;
      } catch (err) {
        // A config directory that cannot be written is the test setup's problem, not the caller's.
        const message = err instanceof Error ? err.message : String(err);
        if (backed.lastError !== message)
          console.error(`emulator: ${name}: node files not synced: ${message}`);
        backed.lastError = message;
      }
    }
  }

  private syncDomain(
    name: string,
    backed: Backed,
    domains: DomainStore,
    packages: PackageStore,
    now: number,
  ): void {
    const domain = domains.byName.get(name);
    let changed = false;
    for (const [packageId, row] of domain?.associations ?? []) {
      if (rowStatus(row, now) !== 'ACTIVE' || backed.written.get(packageId) === row.version) continue;
      const bytes = packages.versionBytes(packageId, row.version);
      if (!bytes) {
        console.error(
          `emulator: no bytes kept for ${packageId} ${row.version}: ${name}'s node file not written`,
        );
        continue;
      }
      writeAtomically(join(backed.configDir, referencePath(packageId)), bytes);
      backed.written.set(packageId, row.version);
      changed = true;
    }
    for (const packageId of [...backed.written.keys()]) {
      const row = domain?.associations.get(packageId);
      if (row && rowStatus(row, now) !== 'GONE') continue;
      rmSync(join(backed.configDir, referencePath(packageId)), { force: true });
      backed.written.delete(packageId);
      changed = true;
    }
    if (changed && domain && reloadsAnalyzers(domain)) void refreshSearchAnalyzers(name, backed.endpoint);
  }
}

/** AWS refreshes analyzers itself on OpenSearch and on Elasticsearch from 7.8. */
function reloadsAnalyzers(domain: Domain): boolean {
  const es = /^Elasticsearch_([0-9]+)\.([0-9]+)$/.exec(domain.engineVersion);
  if (!es) return true;
  const [major, minor] = [Number(es[1]), Number(es[2])];
  return major > 7 || (major === 7 && minor >= 8);
}

function writeAtomically(path: string, bytes: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

async function refreshSearchAnalyzers(domainName: string, endpoint: string): Promise<void> {
  const url = `${endpoint}/_plugins/_refresh_search_analyzers/*`;
  try {
    const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS) });
    const text = await response.text();
    console.error(`emulator: ${domainName}: POST ${url} -> ${response.status} ${text.slice(0, 500)}`);
  } catch (err) {
    console.error(
      `emulator: ${domainName}: POST ${url} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

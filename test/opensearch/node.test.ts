import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import {
  launcherCacheDir,
  launcherSourceHash,
  OPENSEARCH_VERSION,
  provisionOpenSearchNode,
  startOpenSearchNode,
} from '../../src/opensearch-node/index.js';
import { launcherSourceDir } from '../../src/opensearch-node/provision.js';

describe('OpenSearch node provisioning', () => {
  it('pins the version the launcher pom builds, and caches by a hash of the launcher sources', () => {
    const pom = readFileSync(join(launcherSourceDir(), 'pom.xml'), 'utf8');
    expect(pom).toContain(`<opensearch.version>${OPENSEARCH_VERSION}</opensearch.version>`);
    const hash = launcherSourceHash();
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(launcherCacheDir({ XDG_CACHE_HOME: '/cache' }, hash)).toBe(
      `/cache/package-rollouts/opensearch-node-${OPENSEARCH_VERSION}-${hash}`,
    );
  });

  it('without Java 17+, says what to install', async () => {
    await expect(
      provisionOpenSearchNode({
        env: { ...process.env, JAVA_HOME: '/nonexistent-jdk' },
        log: () => undefined,
      }),
    ).rejects.toThrow(/needs Java 17\+.*openjdk-17-jdk-headless.*JAVA_HOME/);
  });

  it('without Maven, says what to install before building', async () => {
    const java = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim();
    const bin = mkdtempSync(join(tmpdir(), 'java-only-'));
    symlinkSync(realpathSync(java), join(bin, 'java'));
    const cache = mkdtempSync(join(tmpdir(), 'empty-cache-'));
    try {
      const env = { PATH: bin, XDG_CACHE_HOME: cache, HOME: cache };
      await expect(provisionOpenSearchNode({ env, log: () => undefined })).rejects.toThrow(
        /needs Maven 3\.8\+ on PATH.*apt-get install maven/,
      );
    } finally {
      rmSync(bin, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('runs a second node beside the shared one, each reading its own config dir', async () => {
    const shared = inject('opensearchEndpoint');
    const second = await startOpenSearchNode({ log: () => undefined });
    try {
      expect(second.endpoint).not.toBe(shared);
      const index = `node-test-${process.pid}`;
      const versions: Record<string, string> = {
        [shared]: 'tv, television\n',
        [second.endpoint]: 'tv, telly\n',
      };
      const configDirs: Record<string, string> = {
        [shared]: inject('opensearchConfigDir'),
        [second.endpoint]: second.configDir,
      };
      for (const endpoint of [shared, second.endpoint]) {
        mkdirSync(join(configDirs[endpoint]!, 'analyzers'), { recursive: true });
        writeFileSync(join(configDirs[endpoint]!, 'analyzers', index), versions[endpoint]!);
        const created = await fetch(`${endpoint}/${index}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            settings: {
              number_of_replicas: 0,
              analysis: {
                filter: { dict: { type: 'synonym', synonyms_path: `analyzers/${index}` } },
                analyzer: { dict: { tokenizer: 'standard', filter: ['lowercase', 'dict'] } },
              },
            },
          }),
        });
        expect(created.status).toBe(200);
      }
      const analyze = async (endpoint: string) => {
        const res = await fetch(`${endpoint}/${index}/_analyze`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ analyzer: 'dict', text: 'tv' }),
        });
        return ((await res.json()) as { tokens: { token: string }[] }).tokens.map((t) => t.token);
      };
      expect(await analyze(shared)).toEqual(['tv', 'television']);
      expect(await analyze(second.endpoint)).toEqual(['tv', 'telly']);
      await fetch(`${shared}/${index}`, { method: 'DELETE' });
    } finally {
      await second.stop();
    }
    // stopped: the port no longer answers
    await expect(fetch(second.endpoint)).rejects.toThrow();
  });
});

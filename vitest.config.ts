import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no Temporal server (model, emulator, activities with
// MockActivityEnvironment); `temporal` runs beside one real dev server started by global setup.
export default defineConfig({
  test: {
    // Temporal's native bridge is not safe in worker threads: one process per test file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores on CI: keep a couple of files in flight, each with its own worker and task queue.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/emulator/**/*.test.ts', 'test/activities/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'temporal',
          include: [
            'test/workflows/**/*.test.ts',
            'test/replay/**/*.test.ts',
            'test/worker/**/*.test.ts',
            'test/contract/**/*.test.ts',
          ],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'opensearch',
          include: ['test/opensearch/**/*.test.ts'],
          // Beside one real OpenSearch node (Java, built on first use): data-plane activities and
          // the dictionary corpus. Its own setup file, apart from the Temporal one.
          globalSetup: ['test/opensearch/global-setup.ts'],
        },
      },
    ],
  },
});

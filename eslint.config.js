// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'bench/results/**',
      'schemas/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no AWS SDK,
    // activities referenced by type only.
    files: ['src/workflows/**/*.ts', 'src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process'],
              message: 'Workflow code must stay deterministic: no Node built-ins.',
            },
            {
              group: ['@aws-sdk/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'Workflow code must not import AWS SDKs, clients, workers or activity context.',
            },
            {
              group: ['../activities/*', '../emulator/*', '../client/*', '../cli/*'],
              message: 'Workflows and the model import activities by type only (import type).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);

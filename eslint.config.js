// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.leadline/',
      'test-artifacts/',
      'deploy/kafka/target/',
      'scratch/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // The direction of the layers (ARCHITECTURE.md, "Layers"): no import circles, and no
    // arrow back up from a lower layer to one that uses it.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/commands',
              from: './src/api',
              message: 'commands sit below the HTTP layer',
            },
            {
              target: './src/telemetry',
              from: './src/runtime',
              message: 'telemetry sits below the runtime that wires it',
            },
            {
              // Only the adapter picker knows the log backends (a third log: one new folder).
              target: [
                './src/!(log|runtime)/**',
                './src/runtime/*/**',
                './src/runtime/!(open-log).ts',
              ],
              from: ['./src/log/postgres', './src/log/kafka'],
              message: 'backends stay behind the log port; pick one in runtime/open-log.ts',
            },
            {
              target: './bench',
              from: './test',
              message: 'benches stand on src/ and harness/ alone',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/cli/**/*.ts',
      'bench/**/*.ts',
      'test/**/*.ts',
      'deploy/**/*.{js,ts}',
      'bin/**/*.js',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);

// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { workflowSandboxRules } from './eslint/workflow-sandbox.js';

export default tseslint.config(
  {
    ignores: ['node_modules/', '.data/', 'web/build/', 'build/', '**/.react-router/', 'tests/histories/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Express 5 handles promises returned by route handlers.
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: [
      'workflows/**/*.ts',
      'tests/replay/fixtures/**/*.ts',
      'tests/support/schedule-workflows.ts',
      'tests/support/approval-workflows.ts',
    ],
    rules: workflowSandboxRules,
  },
  {
    // The wire contract is imported by the API, the portal (into the browser bundle) and the
    // tests: zod and plain data only (docs/decisions/0006-wire-contracts.md).
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!zod$|\\./[a-z-]+\\.ts$|\\.\\./workflows/(catalogue|shared/plans|shared/meters|shared/operation-vocabulary|approvals/policy)\\.ts$)',
              message:
                'contracts/ imports zod and plain data only (workflows/catalogue.ts, workflows/shared/plans.ts, workflows/shared/meters.ts, workflows/shared/operation-vocabulary.ts, workflows/approvals/policy.ts): the browser bundle imports it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['web/app/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // Loaders and actions throw Responses (and React Router's data()) to end a request.
      '@typescript-eslint/only-throw-error': [
        'error',
        {
          allow: [
            { from: 'lib', name: 'Response' },
            { from: 'package', package: 'react-router', name: ['DataWithResponseInit', 'redirect'] },
          ],
        },
      ],
    },
  },
  {
    // Tests read loosely typed JSON responses on purpose.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);

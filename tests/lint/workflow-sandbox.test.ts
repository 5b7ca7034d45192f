// Workflow files that reach for I/O must fail lint: the rules of eslint/workflow-sandbox.js
// are applied to workflows/** by eslint.config.js, and they refuse Node builtins,
// side-effect packages and runtime imports of activities.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { workflowSandboxRules } from '../../eslint/workflow-sandbox.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Only the sandbox rules, without type information, so a probe file need not exist.
const sandboxLinter = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules: workflowSandboxRules }],
});

async function lintWorkflow(code: string): Promise<string[]> {
  const [result] = await sandboxLinter.lintText(code, { filePath: `${ROOT}workflows/probe.ts` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('workflow sandbox lint', () => {
  it('applies the sandbox rules to every workflow file in the real config', async () => {
    const config = (await new ESLint({ cwd: ROOT }).calculateConfigForFile(
      `${ROOT}workflows/tenant-provisioning/provision-tenant.ts`,
    )) as {
      rules: Record<string, unknown>;
    };
    for (const [rule, setting] of Object.entries(workflowSandboxRules)) {
      // ESLint normalizes the severity ('error' → 2); the options must be ours unchanged.
      const [, ...options] = setting as unknown[];
      assert.deepEqual(config.rules[rule], [2, ...options], rule);
    }
    const apiConfig = (await new ESLint({ cwd: ROOT }).calculateConfigForFile(`${ROOT}api/app.ts`)) as {
      rules: Record<string, unknown>;
    };
    assert.equal(apiConfig.rules['no-restricted-imports'], undefined, 'only workflows are restricted');
  });

  it('refuses pg in a workflow', async () => {
    const messages = await lintWorkflow(`import pg from 'pg';\nexport const x = pg;\n`);
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? '', /^no-restricted-imports: .*side-effect packages belong in activities/);
  });

  it('refuses node:fs and bare fs in a workflow', async () => {
    const messages = await lintWorkflow(
      `import { readFileSync } from 'node:fs';\nimport fs from 'fs';\nexport const x = [readFileSync, fs];\n`,
    );
    assert.equal(messages.length, 2);
    for (const message of messages) assert.match(message, /no Node builtins/);
  });

  it('refuses a runtime import of activities but allows their types', async () => {
    const runtime = await lintWorkflow(
      `import { createTenantActivities } from '../../activities/tenant-provisioning/tenant-record.ts';\nexport const x = createTenantActivities;\n`,
    );
    assert.equal(runtime.length, 1);
    assert.match(runtime[0] ?? '', /only the \*types\* of activities/);
    const typeOnly = await lintWorkflow(
      `import type { TenantActivities } from '../../activities/tenant-provisioning/tenant-record.ts';\nexport type X = TenantActivities;\n`,
    );
    assert.deepEqual(typeOnly, []);
  });

  it('refuses Math.random and process in a workflow', async () => {
    const messages = await lintWorkflow(`export const x = Math.random() + Number(process.env.X);\n`);
    assert.equal(messages.length, 2);
  });

  it('accepts the workflow API', async () => {
    assert.deepEqual(
      await lintWorkflow(`import { sleep } from '@temporalio/workflow';\nexport const x = sleep;\n`),
      [],
    );
  });
});

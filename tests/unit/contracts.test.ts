// The wire contract (contracts/) is imported by the portal's browser bundle: everything it
// reaches at run time must be zod or plain data. And the OpenAPI document built from it
// describes every answer the API sends with a body.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../../api/routes/openapi.ts';
import { loadRouteModules } from '../../api/routes/registry.ts';
import { PLAN_NAMES, Tenant, TenantPlan } from '../../contracts/index.ts';
import { WebhookUrl } from '../../contracts/webhooks.ts';
import { PLANS } from '../../workflows/shared/plans.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The modules a file imports at run time (type-only imports and exports are erased). */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm))
    if (!match[2]) specifiers.push(match[3] as string);
  for (const match of source.matchAll(/^import\s+'([^']+)'/gm)) specifiers.push(match[1] as string);
  return specifiers;
}

describe('the wire contract', () => {
  it('reaches nothing but zod and plain-data files at run time', () => {
    const packages = new Set<string>();
    const files = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      for (const specifier of runtimeImports(file)) {
        if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
        else packages.add(specifier);
      }
    };
    visit(join(ROOT, 'contracts/index.ts'));
    assert.deepEqual([...packages], ['zod']);
    const outside = [...files].map((file) => relative(ROOT, file)).filter((file) => !file.startsWith('contracts/'));
    assert.deepEqual(outside.sort(), [
      'workflows/approvals/policy.ts',
      'workflows/catalogue.ts',
      'workflows/shared/meters.ts',
      'workflows/shared/operation-vocabulary.ts',
      'workflows/shared/plans.ts',
    ]);
  });

  it('names the plans the workflows define, once', () => {
    assert.deepEqual(TenantPlan.options, [...PLAN_NAMES]);
    assert.deepEqual(Object.keys(PLANS), [...PLAN_NAMES]);
    assert.equal(Tenant.shape.plan, TenantPlan);
  });

  it('describes every 2xx answer in the OpenAPI document: a schema for each body, none for 204', async () => {
    const document = buildOpenApiDocument(await loadRouteModules());
    const problems: string[] = [];
    for (const [path, operations] of Object.entries(document.paths ?? {}))
      for (const [method, operation] of Object.entries(operations as Record<string, { responses?: object }>)) {
        const where = `${method.toUpperCase()} ${path}`;
        const responses = Object.entries(operation.responses ?? {}) as Array<
          [string, { content?: Record<string, { schema?: object }> }]
        >;
        const successes = responses.filter(([status]) => /^2\d\d$/.test(status));
        if (successes.length === 0) problems.push(`${where}: no 2xx answer`);
        for (const [status, response] of successes) {
          const media = Object.entries(response.content ?? {});
          if (status === '204') {
            if (media.length > 0) problems.push(`${where} 204: has a body`);
          } else if (media.length === 0) problems.push(`${where} ${status}: no body described`);
          for (const [type, { schema }] of media)
            if (!schema || Object.keys(schema).length === 0) problems.push(`${where} ${status} ${type}: no schema`);
        }
      }
    assert.deepEqual(problems, []);
  });

  it('refuses a webhook URL that is no URL at all with field errors, not a thrown error (found by tests/security)', () => {
    for (const value of ['x'.repeat(3_000), 'not a url', 'https://']) {
      const result = WebhookUrl.safeParse(value);
      assert.equal(result.success, false, value.slice(0, 20));
    }
  });
});

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
      'workflows/catalogue.ts',
      'workflows/shared/operation-vocabulary.ts',
      'workflows/shared/plans.ts',
    ]);
  });

  it('names the plans the workflows define, once', () => {
    assert.deepEqual(TenantPlan.options, [...PLAN_NAMES]);
    assert.deepEqual(Object.keys(PLANS), [...PLAN_NAMES]);
    assert.equal(Tenant.shape.plan, TenantPlan);
  });

  it('gives every answer with a body a schema in the OpenAPI document', async () => {
    const document = buildOpenApiDocument(await loadRouteModules());
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(document.paths ?? {}))
      for (const [method, operation] of Object.entries(operations as Record<string, { responses?: object }>))
        for (const [status, response] of Object.entries(operation.responses ?? {}) as Array<
          [string, { content?: Record<string, { schema?: unknown }> }]
        >)
          if (status !== '204' && !Object.values(response.content ?? {}).some((media) => media.schema))
            missing.push(`${method.toUpperCase()} ${path} ${status}`);
    assert.deepEqual(missing, []);
  });
});

// The route registry (api/routes/registry.ts) against itself and the catalogue: each module's
// OpenAPI paths lie under one of its mounts, no path and method is declared twice, every
// workflow family has its routes module, and the app mounts the most specific paths first.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadRouteModules, mountOrder } from '../../api/routes/registry.ts';
import { openApiPathOf } from '../../api/routes/route-module.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';

describe('route registry', () => {
  it('documents each module only under the paths it mounts', async () => {
    for (const module of await loadRouteModules()) {
      const mounts = module.mounts.map((mount) => openApiPathOf(mount.path));
      for (const path of Object.keys(module.paths))
        assert.ok(
          mounts.some((mount) => path === mount || path.startsWith(`${mount}/`)),
          `${path} is documented by a module mounted at ${mounts.join(', ')}`,
        );
    }
  });

  it('declares each path and method once', async () => {
    const seen = new Map<string, number>();
    for (const module of await loadRouteModules())
      for (const [path, operations] of Object.entries(module.paths))
        for (const method of Object.keys(operations ?? {}))
          seen.set(`${method.toUpperCase()} ${path}`, (seen.get(`${method.toUpperCase()} ${path}`) ?? 0) + 1);
    assert.deepEqual(
      [...seen].filter(([, count]) => count > 1),
      [],
    );
  });

  it('has a routes module for every workflow family', async () => {
    for (const family of WORKFLOW_FAMILIES)
      assert.ok(existsSync(new URL(`../../api/${family}/routes.ts`, import.meta.url)), `api/${family}/routes.ts`);
    const modules = await loadRouteModules();
    assert.ok(modules.some((module) => Object.keys(module.paths).includes('/api/v1/tenants/{slug}/suspend')));
  });

  it('mounts more specific paths before the paths they extend', async () => {
    const order = mountOrder(await loadRouteModules()).map((mount) => mount.path);
    assert.ok(order.indexOf('/tenants/:slug/members') < order.indexOf('/tenants'));
    assert.ok(order.indexOf('/tenants/:slug/sso/domains') < order.indexOf('/tenants/:slug/sso'));
    assert.ok(order.indexOf('/auth/sso') < order.indexOf('/auth'));
  });
});

// Tenant creation end to end through the HTTP API, against the real Temporal dev server
// and PostgreSQL: 202 + operation, live progress over SSE, an active tenant with its own
// schema, and the workflow findable by its search attributes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { testEnv } from '../support/env.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { startProvisioningPausedAt } from '../support/provisioning.ts';
import { readEventStream } from '../support/sse.ts';

describe('tenant provisioning through the API', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  it('creates an active tenant with its own schema, reporting every step', async () => {
    const slug = uniqueSlug('acme');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Acme Corp', plan: 'team', ownerEmail: 'owner@acme.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const { tenant, operation } = created.body;
    assert.equal(operation.id, `tenant-provision/${slug}`);
    assert.equal(created.headers.get('location'), operationPath(operation.id));
    assert.match(operation.links.temporalUi, /^\/ops\/temporal\/namespaces\/default\/workflows\/tenant-provision%2F/);

    const events = await readEventStream(new URL(operation.links.events, platform.baseUrl).toString(), {
      headers: platform.admin.headers,
    });
    assert.equal(events.at(-1)?.event, 'end');
    const progress = events.filter((e) => e.event === 'progress').map((e) => JSON.parse(e.data));
    const final = progress.at(-1);
    assert.equal(final.status, 'completed');
    assert.deepEqual(
      final.steps.map((s: any) => [s.name, s.status]),
      [
        ['record', 'completed'],
        ['database', 'completed'],
        ['secrets', 'completed'],
        ['billing', 'completed'],
        ['cluster', 'skipped'],
        ['license', 'completed'],
        ['welcome', 'completed'],
        ['activate', 'completed'],
      ],
    );
    for (const step of final.steps) assert.ok(step.startedAt && step.completedAt, `${step.name} has timestamps`);
    // The embedded defaults: no cluster, so that step says why it did nothing.
    assert.equal(final.steps.find((s: any) => s.name === 'cluster').error, 'no cluster configured (set KUBECONFIG)');

    const read = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}`, { headers: platform.admin.headers });
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'active');
    assert.equal(read.body.id, tenant.id);
    assert.equal(read.body.plan, 'team');
    // The 202 carries the creation time as stored: the row is inserted with updated_at =
    // created_at, and later steps move only updated_at.
    assert.equal(tenant.createdAt, read.body.createdAt, 'the 202 has the stored createdAt');
    assert.equal(tenant.updatedAt, read.body.createdAt, 'the 202 has the updatedAt stored at creation');

    const schemas = await platform.database.query(`SELECT nspname FROM pg_namespace WHERE nspname = $1`, [
      `tenant_${slug.replaceAll('-', '_')}`,
    ]);
    assert.equal(schemas.length, 1, 'the tenant schema exists');
    const roles = await platform.database.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      `tenant_${slug.replaceAll('-', '_')}_login`,
    ]);
    assert.equal(roles.length, 1, 'the tenant login role exists');
    // Local secret store and local billing: the password is stored encrypted, the customer recorded.
    const [secret] = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM local_secrets WHERE path = $1`,
      [`tenants/${slug}/database`],
    );
    assert.equal(secret?.n, 1);
    const [billing] = await platform.database.query<{ idempotency_key: string }>(
      `SELECT idempotency_key FROM local_billing_customers WHERE tenant_id = $1`,
      [tenant.id],
    );
    assert.equal(billing?.idempotency_key, `tenant/${tenant.id}/provision/billing-customer`);
    const [license] = await platform.database.query<{ tier: string }>(
      `SELECT tier FROM tenant_licenses WHERE tenant_id = $1`,
      [tenant.id],
    );
    assert.equal(license?.tier, 'team');
    const [resources] = await platform.database.query<{ welcome_sent_at: Date | null }>(
      `SELECT welcome_sent_at FROM tenant_resources WHERE tenant_id = $1`,
      [tenant.id],
    );
    assert.ok(resources?.welcome_sent_at, 'the welcome mail is recorded as sent');

    // Operators find it by tenant in Temporal's visibility store, through the CLI and the API.
    const listed = await eventually(() => {
      const out = execFileSync(
        testEnv.ATRIUM_TEST_TEMPORAL_CLI,
        [
          'workflow',
          'list',
          '--address',
          testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS,
          '--query',
          `TenantId="${tenant.id}"`,
          '--output',
          'json',
        ],
        { encoding: 'utf8' },
      );
      const rows = JSON.parse(out || '[]') as Array<{ execution: { workflowId: string } }>;
      return rows.length ? rows : null;
    });
    assert.deepEqual(
      listed.map((r) => r.execution.workflowId),
      [operation.id],
    );

    const byTenant = await request(
      platform.baseUrl,
      'GET',
      `/api/v1/operations?tenantId=${tenant.id}&kind=tenant-provision`,
      { headers: platform.admin.headers },
    );
    assert.equal(byTenant.status, 200);
    assert.deepEqual(
      byTenant.body.items.map((o: any) => o.id),
      [operation.id],
    );

    // Tracing is off here (no OTEL_EXPORTER_OTLP_ENDPOINT, no TRACES_QUERY_URL): the trace
    // route says so, and the operation page then shows that instead of a waterfall.
    const trace = await request(platform.baseUrl, 'GET', `${operationPath(operation.id)}/trace`, {
      headers: platform.admin.headers,
    });
    assert.equal(trace.status, 404);
    assert.equal(trace.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    assert.match(String(trace.body.type), /:tracing-off$/);

    await recordHistory(platform.temporal, operation.id, 'provision-tenant-completed');
  });

  it('returns the first response for a repeated Idempotency-Key, starting nothing new', async () => {
    const slug = uniqueSlug('idem');
    const send = () =>
      request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        json: { slug, name: 'Idem', ownerEmail: 'o@idem.test' },
        headers: { ...platform.admin.headers, 'Idempotency-Key': `key-${slug}` },
      });
    const first = await send();
    const second = await send();
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.body, first.body);

    const reused = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      json: { slug: `${slug}-x`, name: 'Other', ownerEmail: 'o@idem.test' },
      headers: { ...platform.admin.headers, 'Idempotency-Key': `key-${slug}` },
    });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.type, 'urn:atrium:problem:idempotency-key-reused');

    await waitForOperation(platform, first.body.operation.id);
    const rows = await platform.database.query(`SELECT id FROM tenants WHERE slug LIKE $1`, [`${slug}%`]);
    assert.equal(rows.length, 1);
  });

  it('refuses a slug that is taken with 409 naming the field', async () => {
    const slug = uniqueSlug('taken');
    const first = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'First', ownerEmail: 'a@taken.test' },
    });
    assert.equal(first.status, 202);
    const second = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Second', ownerEmail: 'b@taken.test' },
    });
    assert.equal(second.status, 409);
    assert.equal(second.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.deepEqual(second.body.errors, [{ path: 'slug', message: 'This slug is already taken.' }]);
    await waitForOperation(platform, first.body.operation.id);
  });

  it('answers 202 at once while the record step waits, and stores the createdAt the 202 carried', async () => {
    const slug = uniqueSlug('late');
    // The record step waits on a lock on tenants the test holds: the API must not (it writes
    // no row itself), and the row written a while later keeps the time the 202 announced.
    const paused = await startProvisioningPausedAt(platform, slug, 'record');
    await sleep(1_500);
    await paused.release();
    await waitForOperation(platform, paused.id);
    const read = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}`, { headers: platform.admin.headers });
    assert.equal(read.status, 200);
    assert.equal(read.body.createdAt, paused.tenant.createdAt);
    assert.equal(paused.tenant.updatedAt, paused.tenant.createdAt);
    const [row] = await platform.database.query<{ created_at: Date }>(
      `SELECT created_at FROM tenants WHERE slug = $1`,
      [slug],
    );
    assert.equal(row!.created_at.toISOString(), paused.tenant.createdAt);
  });

  it('answers 404 problems for unknown tenants and operations', async () => {
    const tenant = await request(platform.baseUrl, 'GET', '/api/v1/tenants/no-such-tenant', {
      headers: platform.admin.headers,
    });
    assert.equal(tenant.status, 404);
    assert.equal(tenant.body.type, 'urn:atrium:problem:not-found');
    const operation = await request(platform.baseUrl, 'GET', operationPath('tenant-provision/no-such-tenant'), {
      headers: platform.admin.headers,
    });
    assert.equal(operation.status, 404);
    const events = await request(
      platform.baseUrl,
      'GET',
      `${operationPath('tenant-provision/no-such-tenant')}/events`,
      { headers: platform.admin.headers },
    );
    assert.equal(events.status, 404);
  });

  it('is ready when Postgres and Temporal are, and serves its OpenAPI document', async () => {
    const ready = await request(platform.baseUrl, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { postgres: { ok: true }, temporal: { ok: true } });
    const spec = await request(platform.baseUrl, 'GET', '/api/v1/openapi.json');
    assert.equal(spec.status, 200);
    assert.equal(spec.body.openapi, '3.1.0');
    assert.ok(spec.body.paths['/api/v1/tenants'].post.requestBody);
    assert.deepEqual(spec.body.components.schemas.CreateTenantRequest.required.sort(), ['name', 'ownerEmail', 'slug']);
    assert.equal(spec.body.components.schemas.CreateTenantRequest.additionalProperties, false);
  });
});

async function eventually<T>(probe: () => T | null, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

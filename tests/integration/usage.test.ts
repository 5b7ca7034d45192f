// Usage ingestion through the API: a tenant's API key reports a batch (202, stored once per
// event id: the same batch again stores nothing), summaries per meter and day or hour add up,
// and bad input refuses the whole batch naming the field with nothing stored: an unknown meter
// (or one Atrium counts itself), a timestamp older than 35 days or in the future, a batch over
// the size limit, another tenant named with this tenant's key, a person's token, a viewer's key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UsageAccepted, UsageSummary } from '../../contracts/usage.ts';
import { REPORTABLE_METERS } from '../../workflows/shared/meters.ts';
import { request } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { provisionTenantWithOwner } from '../support/provisioning.ts';
import { waitFor } from '../support/wait-for.ts';

const DAY_MS = 86_400_000;

describe('usage: ingestion with an API key, deduplication, summaries, bad input', () => {
  let platform: Platform;
  const tenants: Array<{ id: string; slug: string; owner: TestUser; key: string; viewerKey: string }> = [];

  before(async () => {
    platform = await startPlatform({ env: { USAGE_METERING_INTERVAL: '500ms' } });
    for (const name of ['usage', 'other', 'metered']) {
      const { id, slug, owner } = await provisionTenantWithOwner(platform, name);
      const keyOf = async (role: string) => {
        const made = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/api-keys`, {
          headers: owner.headers,
          json: { name: `${role} key`, role },
        });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        return made.body.key as string;
      };
      tenants.push({ id, slug, owner, key: await keyOf('developer'), viewerKey: await keyOf('viewer') });
    }
  });
  after(async () => {
    await platform?.stop();
  });

  const report = (key: string, json: unknown) =>
    request(platform.baseUrl, 'POST', '/api/v1/usage', { headers: { authorization: `Bearer ${key}` }, json });
  const stored = async (tenantId: string) =>
    Number(
      (
        await platform.database.query<{ n: string }>(
          `SELECT count(*) AS n FROM usage_events WHERE tenant_id = $1 AND meter = ANY($2)`,
          [tenantId, REPORTABLE_METERS],
        )
      )[0]!.n,
    );
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();

  it('stores a batch once per event id and sums it per meter and day', async () => {
    const [tenant] = tenants;
    const events = [
      { id: 'run-1', meter: 'compute.seconds', quantity: 30, timestamp: at(1), attributes: { job: 'build' } },
      { id: 'run-2', meter: 'compute.seconds', quantity: 12.5, timestamp: at(2) },
      { id: 'mail-1', meter: 'messages.sent', quantity: 3, timestamp: at(1) },
      { id: 'mail-1', meter: 'messages.sent', quantity: 3, timestamp: at(1) },
    ];
    const first = await report(tenant!.key, { events });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.deepEqual(UsageAccepted.parse(first.body), { received: 4, accepted: 3, duplicates: 1 });
    const again = await report(tenant!.key, { tenant: tenant!.slug, events });
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, { received: 4, accepted: 0, duplicates: 4 });
    assert.equal(await stored(tenant!.id), 3);

    const summary = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant!.slug}/usage`, {
      headers: tenant!.owner.headers,
    });
    assert.equal(summary.status, 200, JSON.stringify(summary.body));
    const parsed = UsageSummary.parse(summary.body);
    assert.equal(parsed.granularity, 'day');
    const compute = parsed.meters.find((meter) => meter.meter === 'compute.seconds')!;
    assert.equal(compute.total, 42.5);
    assert.equal(compute.events, 2);
    assert.equal(compute.unit, 'second');
    assert.equal(
      compute.buckets.reduce((sum, bucket) => sum + bucket.quantity, 0),
      42.5,
    );
    assert.equal(parsed.meters.find((meter) => meter.meter === 'messages.sent')!.total, 3);
    assert.equal(parsed.meters.find((meter) => meter.meter === 'storage.gigabyte_hours')!.total, 0);
    assert.equal(parsed.meters.find((meter) => meter.meter === 'api.requests')!.unit, 'request');

    const hourly = await request(
      platform.baseUrl,
      'GET',
      `/api/v1/tenants/${tenant!.slug}/usage?granularity=hour&meter=compute.seconds`,
      { headers: tenant!.owner.headers },
    );
    assert.equal(hourly.status, 200, JSON.stringify(hourly.body));
    const buckets = UsageSummary.parse(hourly.body).meters[0]!.buckets;
    assert.deepEqual(
      buckets.map((bucket) => bucket.quantity),
      [12.5, 30],
      'one bucket per hour, oldest first',
    );
    for (const bucket of buckets) assert.equal(new Date(bucket.start).getUTCMinutes(), 0);

    // The other tenant sees none of it, and an outsider gets the same 404 as for no tenant.
    const [, other] = tenants;
    const theirs = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${other!.slug}/usage`, {
      headers: other!.owner.headers,
    });
    assert.equal(UsageSummary.parse(theirs.body).meters.find((meter) => meter.meter === 'compute.seconds')!.total, 0);
    const outsider = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant!.slug}/usage`, {
      headers: other!.owner.headers,
    });
    assert.equal(outsider.status, 404);
  });

  it("meters the tenant's own API requests (api.requests), a platform admin's not", async () => {
    const metered = tenants[2]!;
    const apiRequests = async () =>
      Number(
        (
          await platform.database.query<{ total: string | null }>(
            `SELECT sum(quantity) AS total FROM usage_events WHERE tenant_id = $1 AND meter = 'api.requests'`,
            [metered.id],
          )
        )[0]!.total ?? 0,
      );
    // Its owner made two keys in before(): those requests are metered too.
    await waitFor('the key requests metered', async () => (await apiRequests()) === 2);
    for (let i = 0; i < 5; i += 1) {
      const answer = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${metered.slug}`, {
        headers: i % 2 === 0 ? metered.owner.headers : { authorization: `Bearer ${metered.key}` },
      });
      assert.equal(answer.status, 200);
      const byAdmin = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${metered.slug}`, {
        headers: platform.admin.headers,
      });
      assert.equal(byAdmin.status, 200);
    }
    await waitFor('five more metered', async () => (await apiRequests()) === 7);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.equal(await apiRequests(), 7, 'the admin’s requests are not metered, nothing counted twice');
  });

  it("counts each of the tenant's workflow runs once (workflow.runs), a replay on another worker not again", async () => {
    const tenant = tenants[1]!;
    const provisioning = await platform.temporal.workflow.getHandle(`tenant-provision/${tenant.slug}`).describe();
    const runs = () =>
      platform.database.query<{ event_id: string; quantity: string; kind: string; workflow_id: string }>(
        `SELECT event_id, trim_scale(quantity)::text AS quantity, attributes->>'kind' AS kind, attributes->>'workflowId' AS workflow_id
         FROM usage_events WHERE tenant_id = $1 AND meter = 'workflow.runs' ORDER BY event_id`,
        [tenant.id],
      );
    await waitFor('the provisioning run metered', async () =>
      (await runs()).some((r) => r.event_id === `workflow.run:${provisioning.runId}`),
    );
    const first = await runs();
    assert.deepEqual(
      first.find((r) => r.event_id === `workflow.run:${provisioning.runId}`),
      {
        event_id: `workflow.run:${provisioning.runId}`,
        quantity: '1',
        kind: 'tenant-provision',
        workflow_id: `tenant-provision/${tenant.slug}`,
      },
    );
    // Another worker replays the finished run (a query needs its state): not counted again.
    await platform.worker.stop();
    await platform.startWorker();
    await platform.temporal.workflow.getHandle(`tenant-provision/${tenant.slug}`).query('getProgress');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.deepEqual(await runs(), first);
  });

  it('refuses bad input whole, naming the field, storing nothing', async () => {
    const [tenant, other] = tenants;
    const before = await stored(tenant!.id);
    const good = { id: 'ok-1', meter: 'compute.seconds', quantity: 1, timestamp: at(0) };
    const cases: Array<[string, unknown, number, string]> = [
      ['unknown meter', { events: [good, { ...good, id: 'x', meter: 'gpu.hours' }] }, 422, 'events.1.meter'],
      ["Atrium's own meter", { events: [{ ...good, id: 'y', meter: 'api.requests' }] }, 422, 'events.0.meter'],
      [
        'too old',
        { events: [good, { ...good, id: 'old', timestamp: new Date(Date.now() - 36 * DAY_MS).toISOString() }] },
        422,
        'events.1.timestamp',
      ],
      [
        'in the future',
        { events: [{ ...good, id: 'soon', timestamp: new Date(Date.now() + 3_600_000).toISOString() }] },
        422,
        'events.0.timestamp',
      ],
      ['no quantity', { events: [{ ...good, quantity: 0 }] }, 422, 'events.0.quantity'],
      ['bad id', { events: [{ ...good, id: 'has spaces' }] }, 422, 'events.0.id'],
      ['empty batch', { events: [] }, 422, 'events'],
      ['over the limit', { events: Array.from({ length: 501 }, (_, n) => ({ ...good, id: `n-${n}` })) }, 422, 'events'],
      ["another tenant's usage", { tenant: other!.slug, events: [good] }, 403, 'tenant'],
    ];
    for (const [name, body, status, path] of cases) {
      const answer = await report(tenant!.key, body);
      assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/, name);
      assert.ok(
        (answer.body.errors ?? []).some((error: { path: string }) => error.path === path),
        `${name}: names ${path} in ${JSON.stringify(answer.body)}`,
      );
    }
    assert.equal(await stored(tenant!.id), before, 'nothing stored');
    assert.equal(await stored(other!.id), 0);

    const person = await request(platform.baseUrl, 'POST', '/api/v1/usage', {
      headers: tenant!.owner.headers,
      json: { events: [good] },
    });
    assert.equal(person.status, 403);
    assert.match(person.body.detail, /API keys/);
    const viewer = await report(tenant!.viewerKey, { events: [good] });
    assert.equal(viewer.status, 403);
    assert.match(viewer.body.detail, /usage\.report/);
    const anonymous = await request(platform.baseUrl, 'POST', '/api/v1/usage', { json: { events: [good] } });
    assert.equal(anonymous.status, 401);
    const badRange = await request(
      platform.baseUrl,
      'GET',
      `/api/v1/tenants/${tenant!.slug}/usage?granularity=hour&from=${at(24 * 10)}&to=${at(0)}`,
      { headers: tenant!.owner.headers },
    );
    assert.equal(badRange.status, 422);
    assert.equal(badRange.body.errors[0].path, 'from');
    const badMeter = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant!.slug}/usage?meter=nope`, {
      headers: tenant!.owner.headers,
    });
    assert.equal(badMeter.status, 422);
    assert.equal(badMeter.body.errors[0].path, 'meter');
    assert.equal(await stored(tenant!.id), before, 'still nothing stored');
  });
});

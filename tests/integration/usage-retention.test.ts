// Usage retention (USAGE_RETENTION; api/billing/usage-retention.ts): a sweep as the runtime role
// (row-level security on, no DELETE grant on usage_events) deletes a tenant's events older than
// the retention only where the metering reconciliation settled their window (matched or
// flagged); events of a window still being reconciled or never reconciled stay, however old,
// and so do younger ones. Each tenant's deletion is counted and audited once; a second sweep
// deletes nothing. The database refuses a cutoff the reconciliation still reads back, and a
// tenant's scope cannot prune another tenant.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { sweepUsageRetention } from '../../api/billing/usage-retention.ts';
import { createDataSource } from '../../db/data-source.ts';
import { withTenantScope } from '../../db/scope.ts';
import { createLogger } from '../../logging/logger.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('usage retention', () => {
  let database: TestDatabase;
  let app: DataSource;
  const now = new Date(Math.floor(Date.now() / HOUR) * HOUR);
  const [acme, other] = [randomUUID(), randomUUID()];
  const retentionMs = 400 * DAY;
  /** An hour well past the retention, and one inside it. */
  const old = new Date(now.getTime() - 420 * DAY);
  const young = new Date(now.getTime() - 300 * DAY);

  before(async () => {
    database = await createTestDatabase();
    app = createDataSource({ url: database.url, applicationName: 'atrium-test-usage-retention', poolSize: 2 });
    await app.initialize();
    await database.query(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email)
       VALUES ($1, 'acme', 'Acme', 'team', 'active', 'o@acme.test'), ($2, 'other', 'Other', 'team', 'active', 'o@other.test')`,
      [acme, other],
    );
    // Per tenant: compute.seconds in the old hour (matched), messages.sent in the old hour
    // (still `reported`: not read back), storage in the old hour (no window: never
    // reconciled), api.requests an hour later (flagged), and compute.seconds in a young hour (matched).
    for (const tenant of [acme, other]) {
      const at = (base: Date, minutes: number) => new Date(base.getTime() + minutes * 60_000);
      const events: Array<[string, string, Date]> = [
        ['c1', 'compute.seconds', at(old, 1)],
        ['c2', 'compute.seconds', at(old, 2)],
        ['m1', 'messages.sent', at(old, 3)],
        ['s1', 'storage.gigabyte_hours', at(old, 4)],
        ['a1', 'api.requests', at(old, 61)],
        ['y1', 'compute.seconds', at(young, 1)],
      ];
      for (const [id, meter, occurred] of events)
        await database.query(
          `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at) VALUES ($1, $2, $3, 1, $4)`,
          [tenant, id, meter, occurred],
        );
      const windows: Array<[string, Date, string, string | null]> = [
        ['compute.seconds', old, 'matched', null],
        ['messages.sent', old, 'reported', null],
        ['api.requests', new Date(old.getTime() + HOUR), 'flagged', 'meter_not_configured'],
        ['compute.seconds', young, 'matched', null],
      ];
      for (const [meter, start, status, flag] of windows)
        await database.query(
          `INSERT INTO metering_windows (tenant_id, meter, window_start, usage_total, usage_events, expected, status, flag)
           VALUES ($1, $2, $3, 1, 1, 1, $4, $5)`,
          [tenant, meter, start, status, flag],
        );
    }
  });
  after(async () => {
    await app?.destroy();
    await database?.drop();
  });

  const left = async (tenant: string) =>
    (
      await database.query<{ event_id: string }>(
        `SELECT event_id FROM usage_events WHERE tenant_id = $1 ORDER BY event_id`,
        [tenant],
      )
    ).map((r) => r.event_id);

  it('deletes only old events of reconciled windows, counts and audits it, and does it once', async () => {
    const logger = createLogger({ level: 'error', service: 'test' });
    const first = await sweepUsageRetention({ dataSource: app, logger }, { retentionMs }, now);
    assert.deepEqual(first, { tenants: 2, deleted: 6 });
    for (const tenant of [acme, other]) assert.deepEqual(await left(tenant), ['m1', 's1', 'y1']);
    const audits = await database.query<{ tenant_id: string; actor_type: string; after: Record<string, unknown> }>(
      `SELECT tenant_id, actor_type, after FROM audit_log WHERE action = 'usage.events_pruned' ORDER BY tenant_id`,
    );
    assert.deepEqual(
      audits.map((a) => [a.tenant_id, a.actor_type, a.after.deleted, a.after.occurredBefore]).sort(),
      [acme, other].sort().map((tenant) => [tenant, 'system', 3, new Date(now.getTime() - retentionMs).toISOString()]),
    );
    assert.deepEqual(await sweepUsageRetention({ dataSource: app, logger }, { retentionMs }, now), {
      tenants: 0,
      deleted: 0,
    });
    assert.equal(
      (await database.query(`SELECT 1 FROM audit_log WHERE action = 'usage.events_pruned'`)).length,
      2,
      'the second sweep audited nothing',
    );
  });

  it('refuses a cutoff the reconciliation still reads back, another tenant, and a plain DELETE', async () => {
    await assert.rejects(
      withTenantScope(app, acme, (db) =>
        db.query(`SELECT atrium_prune_usage_events($1, $2, 100)`, [acme, new Date(Date.now() - 40 * DAY)]),
      ),
      /kept at least 50 days/,
    );
    await assert.rejects(
      withTenantScope(app, acme, (db) =>
        db.query(`SELECT atrium_prune_usage_events($1, $2, 100)`, [other, new Date(Date.now() - 60 * DAY)]),
      ),
      /another tenant/,
    );
    await assert.rejects(
      withTenantScope(app, acme, (db) => db.query(`DELETE FROM usage_events WHERE tenant_id = $1`, [acme])),
      /permission denied/,
    );
  });
});

// The signed reconciliation records (docs/decisions/0027): per tenant and period (a UTC day),
// built from metering_windows and metering_reports, signed as a compact JWS by the license
// signing key (its public key recorded in license_signing_keys, served at
// /api/v1/license/jwks), and stored in metering_reconciliations. A batch of tenants is signed
// in one transaction of a few statements (docs/decisions/0040).
import type { ReconciliationRecord } from '../../contracts/metering.ts';
import type { MeteringTenant } from '../../workflows/metering/contract.ts';
import { RECONCILIATION_JWS_TYPE } from '../../workflows/metering/contract.ts';
import type { MeterName } from '../../workflows/shared/meters.ts';
import { METERS } from '../../workflows/shared/meters.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantsStep } from '../shared/kernel.ts';
import { formatMicros, micros } from './decimal.ts';
import { meteringRunTag } from './run-tag.ts';
import { inTenantOrder, withoutTenant } from './windows.ts';

type RecordBody = Omit<ReconciliationRecord, 'revision' | 'signedAt'>;
type RecordWindow = ReconciliationRecord['meters'][number]['windows'][number];
type RecordEvent = RecordWindow['events'][number];

interface WindowRow {
  tenant_id: string;
  period: string;
  meter: string;
  start: Date;
  usage_total: string;
  usage_events: number;
  expected: string;
  stripe_count: string | null;
  status: RecordWindow['status'];
  flag: RecordWindow['flag'];
  unbilled: string;
}

interface EventRow {
  tenant_id: string;
  period: string;
  meter: string;
  start: Date;
  identifier: string;
  kind: RecordEvent['kind'];
  value: string;
  status: RecordEvent['status'];
  cancels: string | null;
  cancelled: boolean;
}

/** A tenant's period whose record is (re)built. */
interface Period {
  tenant_id: string;
  period: string;
}

export function createRecordActivities(deps: Pick<ActivityDeps, 'dataSource' | 'license'>) {
  /**
   * Signs a record for every period of the tenants whose windows changed since its record was
   * signed, when the content differs from the stored record (a new revision each time).
   * Retry-safe: one transaction under the tenants' locks; a retry finds the records written and
   * their content unchanged, and the result counts the records this run wrote.
   */
  async function signRecords(
    tenants: readonly MeteringTenant[],
    signedAt: string,
  ): Promise<Array<{ signed: number; tenantId: string }>> {
    const runId = meteringRunTag();
    const tenantIds = tenants.map((tenant) => tenant.tenantId);
    const slugs = new Map(tenants.map((tenant) => [tenant.tenantId, tenant.slug]));
    return tenantsStep(deps, { tenantIds }, (step) =>
      step.locked(async ({ db, audit }) => {
        // The license keyring's current key, once for the whole batch (docs/decisions/0038).
        const license = await deps.license.current();
        await db.query(
          `INSERT INTO license_signing_keys (key_id, public_jwk) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING`,
          [license.keyId, JSON.stringify(license.publicJwk)],
        );
        const periods = await db.query<Period[]>(
          `SELECT w.tenant_id, to_char(w.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS period
           FROM metering_windows w
           LEFT JOIN metering_reconciliations r
             ON r.tenant_id = w.tenant_id AND r.period = (w.window_start AT TIME ZONE 'UTC')::date
           WHERE w.tenant_id = ANY($1::uuid[])
           GROUP BY 1, 2, r.updated_at
           HAVING r.updated_at IS NULL OR max(w.updated_at) > r.updated_at
           ORDER BY 1, 2`,
          [tenantIds],
        );
        if (periods.length > 0) {
          // Everything the periods' records say, in three statements for the whole batch.
          const wanted = [periods.map((p) => p.tenant_id), periods.map((p) => p.period)];
          const inPeriods = `unnest($1::uuid[], $2::date[]) AS p (tenant_id, period)`;
          const inPeriod = `x.tenant_id = p.tenant_id
               AND x.window_start >= (p.period)::timestamp AT TIME ZONE 'UTC'
               AND x.window_start < (p.period + 1)::timestamp AT TIME ZONE 'UTC'`;
          const windows = await db.query<WindowRow[]>(
            `SELECT x.tenant_id, to_char(p.period, 'YYYY-MM-DD') AS period, x.meter, x.window_start AS start,
                    trim_scale(x.usage_total)::text AS usage_total, x.usage_events,
                    trim_scale(x.expected)::text AS expected, trim_scale(x.stripe_count)::text AS stripe_count,
                    x.status, x.flag, trim_scale(x.unbilled)::text AS unbilled
             FROM ${inPeriods} JOIN metering_windows x ON ${inPeriod}
             ORDER BY x.tenant_id, p.period, x.meter, x.window_start`,
            wanted,
          );
          const events = await db.query<EventRow[]>(
            `SELECT x.tenant_id, to_char(p.period, 'YYYY-MM-DD') AS period, x.meter, x.window_start AS start,
                    x.identifier, x.kind, trim_scale(x.value)::text AS value, x.status, x.cancels,
                    x.cancelled_at IS NOT NULL AS cancelled
             FROM ${inPeriods} JOIN metering_reports x ON ${inPeriod}
             ORDER BY x.tenant_id, p.period, x.meter, x.window_start, x.revision`,
            wanted,
          );
          const stored = await db.query<Array<Period & { revision: number; record: ReconciliationRecord }>>(
            `SELECT r.tenant_id, to_char(r.period, 'YYYY-MM-DD') AS period, r.revision, r.record
             FROM ${inPeriods} JOIN metering_reconciliations r ON r.tenant_id = p.tenant_id AND r.period = p.period`,
            wanted,
          );
          const periodKey = (row: Period) => `${row.tenant_id}|${row.period}`;
          const windowsOf = groupBy(windows, periodKey);
          const eventsOf = groupBy(events, periodKey);
          const storedOf = new Map(stored.map((row) => [periodKey(row), row]));
          const unchanged: Period[] = [];
          const signed: Array<Period & { record: ReconciliationRecord; jws: string }> = [];
          for (const period of periods) {
            const key = periodKey(period);
            const tenant = { tenantId: period.tenant_id, slug: slugs.get(period.tenant_id)! };
            const body = buildRecord(tenant, period.period, windowsOf.get(key) ?? [], eventsOf.get(key) ?? []);
            const before = storedOf.get(key);
            if (before && sameContent(before.record, body)) {
              unchanged.push(period);
              continue;
            }
            const record: ReconciliationRecord = { ...body, revision: (before?.revision ?? 0) + 1, signedAt };
            signed.push({ ...period, record, jws: await license.signDocument(record, RECONCILIATION_JWS_TYPE) });
          }
          if (unchanged.length > 0)
            await db.query(
              `UPDATE metering_reconciliations r SET updated_at = now()
               FROM unnest($1::uuid[], $2::date[]) AS p (tenant_id, period)
               WHERE r.tenant_id = p.tenant_id AND r.period = p.period`,
              [unchanged.map((p) => p.tenant_id), unchanged.map((p) => p.period)],
            );
          if (signed.length > 0) {
            await db.query(
              `INSERT INTO metering_reconciliations (tenant_id, period, revision, record, jws, key_id, signed_at, run_id)
               SELECT tenant_id, period, revision, record, jws, $6, $7, $8
               FROM unnest($1::uuid[], $2::date[], $3::int[], $4::jsonb[], $5::text[])
                 AS s (tenant_id, period, revision, record, jws)
               ON CONFLICT (tenant_id, period) DO UPDATE
                 SET revision = EXCLUDED.revision, record = EXCLUDED.record, jws = EXCLUDED.jws,
                     key_id = EXCLUDED.key_id, signed_at = EXCLUDED.signed_at, run_id = EXCLUDED.run_id,
                     updated_at = now()`,
              [
                signed.map((s) => s.tenant_id),
                signed.map((s) => s.period),
                signed.map((s) => s.record.revision),
                signed.map((s) => JSON.stringify(s.record)),
                signed.map((s) => s.jws),
                license.keyId,
                signedAt,
                runId,
              ],
            );
            await audit(
              signed.map(({ tenant_id, period, record }) => ({
                tenantId: tenant_id,
                action: 'metering.reconciliation_signed',
                targetType: 'metering_reconciliation',
                targetId: period,
                after: {
                  revision: record.revision,
                  corrections: record.meters.reduce((sum, meter) => sum + meter.corrections, 0),
                  flagged: record.meters.reduce((sum, meter) => sum + meter.flagged, 0),
                },
              })),
            );
          }
        }
        const counts = await db.query<Array<{ signed: number; tenantId: string }>>(
          `SELECT t.id AS "tenantId", count(r.period)::int AS signed
           FROM unnest($1::uuid[]) AS t (id)
           LEFT JOIN metering_reconciliations r ON r.tenant_id = t.id AND r.run_id = $2
           GROUP BY t.id`,
          [tenantIds, runId],
        );
        return inTenantOrder(tenantIds, counts, (tenantId) => ({ tenantId, signed: 0 }));
      }),
    );
  }

  return {
    /** signRecords for one tenant (offboarding's final reconciliation; runs from before the batches). */
    async signReconciliationRecords(input: MeteringTenant & { signedAt: string }): Promise<{ signed: number }> {
      const { tenantId, slug, signedAt } = input;
      return withoutTenant((await signRecords([{ tenantId, slug }], signedAt))[0]!);
    },

    /** signRecords for a batch of tenants (results in its order). */
    async signTenantBatch(input: {
      tenants: MeteringTenant[];
      signedAt: string;
    }): Promise<Array<{ signed: number; tenantId: string }>> {
      return signRecords(input.tenants, input.signedAt);
    },
  };
}

function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

function sameContent(stored: ReconciliationRecord, body: RecordBody): boolean {
  const rest: Partial<ReconciliationRecord> = { ...stored };
  delete rest.revision;
  delete rest.signedAt;
  return canonical(rest) === canonical(body);
}

/** The record of one tenant's period, from its windows and their events (each in order). */
function buildRecord(tenant: MeteringTenant, period: string, windows: WindowRow[], events: EventRow[]): RecordBody {
  const meters = [...new Set(windows.map((w) => w.meter))];
  return {
    type: 'atrium.metering.reconciliation',
    version: 1,
    tenant: { id: tenant.tenantId, slug: tenant.slug },
    period,
    meters: meters.map((meter) => {
      const own = windows.filter((w) => w.meter === meter);
      const rows = own.map((w) => ({
        start: w.start.toISOString(),
        usageTotal: w.usage_total,
        usageEvents: w.usage_events,
        reported: w.expected,
        stripeCount: w.stripe_count,
        status: w.status,
        flag: w.flag,
        unbilled: w.unbilled,
        events: events
          .filter((e) => e.meter === meter && e.start.getTime() === w.start.getTime())
          .map((e) => ({
            identifier: e.identifier,
            kind: e.kind,
            value: e.value,
            status: e.status,
            cancels: e.cancels,
            cancelled: e.cancelled,
          })),
      }));
      return {
        meter,
        unit: (METERS as Record<string, { unit: string }>)[meter as MeterName]?.unit ?? meter,
        usageTotal: sum(own.map((w) => w.usage_total)),
        usageEvents: own.reduce((total, w) => total + w.usage_events, 0),
        reported: sum(own.map((w) => w.expected)),
        stripeCount: own.some((w) => w.stripe_count === null) ? null : sum(own.map((w) => w.stripe_count!)),
        corrections: rows.reduce(
          (total, w) => total + w.events.filter((e) => e.kind !== 'report' && e.kind !== 'late').length,
          0,
        ),
        flagged: own.filter((w) => w.status === 'flagged').length,
        windows: rows,
      };
    }),
  };
}

/** Exact sums of decimal strings (millionths). */
function sum(values: string[]): string {
  return formatMicros(values.reduce((total, value) => total + micros(value), 0n));
}

/** JSON with sorted keys: the stored record comes back from jsonb with its keys reordered. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

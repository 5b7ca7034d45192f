// The signed reconciliation records (docs/decisions/0027): per tenant and period (a UTC day),
// built from metering_windows and metering_reports, signed as a compact JWS by the license
// signing key (its public key recorded in license_signing_keys, served at
// /api/v1/license/jwks), and stored in metering_reconciliations.
import type { EntityManager } from 'typeorm';
import type { ReconciliationRecord } from '../../contracts/metering.ts';
import type { MeteringTenant } from '../../workflows/metering/contract.ts';
import { RECONCILIATION_JWS_TYPE } from '../../workflows/metering/contract.ts';
import type { MeterName } from '../../workflows/shared/meters.ts';
import { METERS } from '../../workflows/shared/meters.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { formatMicros, micros } from './decimal.ts';
import { meteringRunTag } from './run-tag.ts';

type RecordBody = Omit<ReconciliationRecord, 'revision' | 'signedAt'>;

export function createRecordActivities(deps: Pick<ActivityDeps, 'dataSource' | 'license'>) {
  return {
    /**
     * Signs a record for every period of the tenant whose windows changed since its record
     * was signed, when the content differs from the stored record (a new revision each time).
     * Retry-safe: one transaction under the tenant lock; a retry finds the records written and
     * their content unchanged, and the result counts the records this run wrote.
     */
    async signReconciliationRecords(input: MeteringTenant & { signedAt: string }): Promise<{ signed: number }> {
      const runId = meteringRunTag();
      return lockedTenantStep(deps, input, async ({ db, audit }) => {
        // The license keyring's current key, once for the whole run (docs/decisions/0038).
        const license = await deps.license.current();
        await db.query(
          `INSERT INTO license_signing_keys (key_id, public_jwk) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING`,
          [license.keyId, JSON.stringify(license.publicJwk)],
        );
        const periods = await db.query<Array<{ period: string }>>(
          `SELECT to_char(w.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS period
           FROM metering_windows w
           LEFT JOIN metering_reconciliations r
             ON r.tenant_id = w.tenant_id AND r.period = (w.window_start AT TIME ZONE 'UTC')::date
           WHERE w.tenant_id = $1
           GROUP BY 1, r.updated_at
           HAVING r.updated_at IS NULL OR max(w.updated_at) > r.updated_at
           ORDER BY 1`,
          [input.tenantId],
        );
        for (const { period } of periods) {
          const body = await buildRecord(db, input, period);
          const [stored] = await db.query<Array<{ revision: number; record: ReconciliationRecord }>>(
            `SELECT revision, record FROM metering_reconciliations WHERE tenant_id = $1 AND period = $2`,
            [input.tenantId, period],
          );
          if (stored && sameContent(stored.record, body)) {
            await db.query(
              `UPDATE metering_reconciliations SET updated_at = now() WHERE tenant_id = $1 AND period = $2`,
              [input.tenantId, period],
            );
            continue;
          }
          const record: ReconciliationRecord = {
            ...body,
            revision: (stored?.revision ?? 0) + 1,
            signedAt: input.signedAt,
          };
          const jws = await license.signDocument(record, RECONCILIATION_JWS_TYPE);
          await db.query(
            `INSERT INTO metering_reconciliations (tenant_id, period, revision, record, jws, key_id, signed_at, run_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, period) DO UPDATE
               SET revision = EXCLUDED.revision, record = EXCLUDED.record, jws = EXCLUDED.jws, key_id = EXCLUDED.key_id,
                   signed_at = EXCLUDED.signed_at, run_id = EXCLUDED.run_id, updated_at = now()`,
            [
              input.tenantId,
              period,
              record.revision,
              JSON.stringify(record),
              jws,
              license.keyId,
              input.signedAt,
              runId,
            ],
          );
          await audit('metering.reconciliation_signed', 'metering_reconciliation', period, {
            revision: record.revision,
            corrections: record.meters.reduce((sum, meter) => sum + meter.corrections, 0),
            flagged: record.meters.reduce((sum, meter) => sum + meter.flagged, 0),
          });
        }
        const [count] = await db.query<Array<{ signed: number }>>(
          `SELECT count(*)::int AS signed FROM metering_reconciliations WHERE tenant_id = $1 AND run_id = $2`,
          [input.tenantId, runId],
        );
        return { signed: count!.signed };
      });
    },
  };
}

function sameContent(stored: ReconciliationRecord, body: RecordBody): boolean {
  const rest: Partial<ReconciliationRecord> = { ...stored };
  delete rest.revision;
  delete rest.signedAt;
  return canonical(rest) === canonical(body);
}

async function buildRecord(db: EntityManager, tenant: MeteringTenant, period: string): Promise<RecordBody> {
  const windows = await db.query<
    Array<{
      meter: string;
      start: Date;
      usage_total: string;
      usage_events: number;
      expected: string;
      stripe_count: string | null;
      status: 'open' | 'reported' | 'matched' | 'flagged';
      flag: ReconciliationRecord['meters'][number]['windows'][number]['flag'];
      unbilled: string;
    }>
  >(
    `SELECT meter, window_start AS start, trim_scale(usage_total)::text AS usage_total, usage_events,
            trim_scale(expected)::text AS expected, trim_scale(stripe_count)::text AS stripe_count,
            status, flag, trim_scale(unbilled)::text AS unbilled
     FROM metering_windows
     WHERE tenant_id = $1 AND window_start >= ($2::date)::timestamp AT TIME ZONE 'UTC'
       AND window_start < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
     ORDER BY meter, window_start`,
    [tenant.tenantId, period],
  );
  const events = await db.query<
    Array<{
      meter: string;
      start: Date;
      identifier: string;
      kind: ReconciliationRecord['meters'][number]['windows'][number]['events'][number]['kind'];
      value: string;
      status: ReconciliationRecord['meters'][number]['windows'][number]['events'][number]['status'];
      cancels: string | null;
      cancelled: boolean;
    }>
  >(
    `SELECT meter, window_start AS start, identifier, kind, trim_scale(value)::text AS value, status, cancels,
            cancelled_at IS NOT NULL AS cancelled
     FROM metering_reports
     WHERE tenant_id = $1 AND window_start >= ($2::date)::timestamp AT TIME ZONE 'UTC'
       AND window_start < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
     ORDER BY meter, window_start, revision`,
    [tenant.tenantId, period],
  );
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

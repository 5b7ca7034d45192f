// `npm run bench -- metering`: usage ingestion and metering reconciliation (issue 17, item 5),
// each beside a bare baseline measured in the same run on the same database.
//
// Ingestion: --events usage events in batches of --batch, POSTed to the real API's
// `POST /api/v1/usage` with a tenant's API key by --concurrency clients at once (bodies made
// before the clock starts). The baseline: the same events, in the same batches, by as many
// pg connections at once, each batch one multi-row INSERT … ON CONFLICT DO NOTHING into the same
// table (as the superuser: no API, no key check, no validation, no row-level security). Goal:
// the API at least 0.5 × the bare insert.
//
// Reconciliation: --reconcile-events events of --tenants tenants on the three billed meters over
// the last --hours closed hours, seeded straight into usage_events, then one reconcileMetering
// run through the real platform (API, worker, Temporal dev server) reporting every window to
// stripe-mock behind the fake ledger (tests/support/fake-ledger.ts: Stripe's meters keep
// nothing in stripe-mock), with a settling delay of --settle ms. Its time is counted without
// the settling delay, which is a deliberate wait, not work (both are printed). The baseline: a
// bare GROUP BY of the same events per tenant, meter and hour (the aggregation a run needs),
// best of three. Goal: at most 5 ×. A second run over the same windows sends nothing
// (counted at the ledger) and is printed too.
//
//   npm run bench -- metering
//   npm run bench -- metering --events 200000 --reconcile-events 1000000 --tenants 50 --hours 4
//   npm run bench -- metering --part ingestion       (or reconciliation) one half only
//   npm run bench -- metering --part ingestion --cpu-prof /tmp/prof   the API's V8 CPU profile
//   npm run bench -- metering --part reconciliation --worker-cpu-prof /tmp/prof   the worker's
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import type { ReconcileMeteringResult } from '../workflows/metering/contract.ts';
import { freePort } from '../scripts/free-port.ts';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.ts';
import { startTestServers } from '../scripts/test-servers.ts';
import { request } from './support/api.ts';
import { cleanUpTo, onCleanup } from './support/cleanups.ts';
import type { BenchDatabase } from './support/database.ts';
import { createBenchDatabase, seedUser, withClient } from './support/database.ts';
import { machineLine, ratio, table, writeResults } from './support/figures.ts';
import { positiveInt } from './support/options.ts';
import { startPlatform } from './support/platform.ts';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== 'metering'),
  options: {
    events: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    'reconcile-events': { type: 'string', default: '1000000' },
    tenants: { type: 'string', default: '50' },
    hours: { type: 'string', default: '4' },
    settle: { type: 'string', default: '1000' },
    part: { type: 'string', default: 'both' },
    'cpu-prof': { type: 'string' },
    'worker-cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench -- metering [--events 100000] [--batch 500] [--concurrency 8]\n' +
      '                                 [--reconcile-events 1000000] [--tenants 50] [--hours 4] [--settle 1000] (ms)\n' +
      '                                 [--part both|ingestion|reconciliation]\n' +
      '                                 [--cpu-prof dir] (the API writes a V8 CPU profile there when it stops)\n' +
      '                                 [--worker-cpu-prof dir] (the worker does, for the reconciliation)\n' +
      'Env: ATRIUM_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres), a superuser, on this machine.',
  );
  process.exit(0);
}
const EVENTS = positiveInt('--events', args.events);
const BATCH = positiveInt('--batch', args.batch);
const CONCURRENCY = positiveInt('--concurrency', args.concurrency);
const RECONCILE_EVENTS = positiveInt('--reconcile-events', args['reconcile-events']);
const TENANTS = positiveInt('--tenants', args.tenants);
const HOURS = positiveInt('--hours', args.hours);
const SETTLE_MS = positiveInt('--settle', args.settle);
const PART = args.part;
if (!['both', 'ingestion', 'reconciliation'].includes(PART))
  throw new Error(`--part must be both, ingestion or reconciliation, got "${PART}"`);
if (BATCH > 500) throw new Error('--batch must be at most 500 (the API takes 500 events per POST)');

const HOUR = 3_600_000;
const STRIPE_METERS = {
  'compute.seconds': { id: 'mtr_compute', event: 'compute_seconds' },
  'storage.gigabyte_hours': { id: 'mtr_storage', event: 'storage_gigabyte_hours' },
  'messages.sent': { id: 'mtr_messages', event: 'messages_sent' },
} as const;
const BILLED = Object.keys(STRIPE_METERS) as Array<keyof typeof STRIPE_METERS>;

interface UsageEvent {
  id: string;
  meter: string;
  quantity: number;
  timestamp: string;
}

/** Seeded tenants (rows written as the superuser: reconciliation needs no provisioning). */
async function seedTenants(database: BenchDatabase, prefix: string, count: number) {
  const made = Array.from({ length: count }, (_, index) => {
    const slug = `${prefix}-${String(index).padStart(2, '0')}`;
    return { id: randomUUID(), slug, customer: `cus_${slug.replace(/-/g, '_')}` };
  });
  await withClient(database.ownerUrl, async (db) => {
    await db.query(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email)
       SELECT id, slug, slug, 'team', 'active', slug || '@bench.test' FROM unnest($1::uuid[], $2::text[]) AS t (id, slug)`,
      [made.map((t) => t.id), made.map((t) => t.slug)],
    );
    await db.query(
      `INSERT INTO tenant_resources (tenant_id, billing_customer_id) SELECT * FROM unnest($1::uuid[], $2::text[])`,
      [made.map((t) => t.id), made.map((t) => t.customer)],
    );
  });
  return made;
}

/** The batches of a run: events spread over the last half hour, ids unique to the run. */
function batchesOf(run: string, events: number): UsageEvent[][] {
  const now = Date.now();
  const batches: UsageEvent[][] = [];
  for (let start = 0; start < events; start += BATCH)
    batches.push(
      Array.from({ length: Math.min(BATCH, events - start) }, (_, offset) => {
        const n = start + offset;
        return {
          id: `${run}-${n}`,
          meter: BILLED[n % BILLED.length]!,
          quantity: 1 + (n % 7),
          timestamp: new Date(now - (n % 1800) * 1000).toISOString(),
        };
      }),
    );
  return batches;
}

/** Runs `send` over the batches with `CONCURRENCY` in flight; events per second. */
async function drive<T>(items: T[], send: (item: T) => Promise<void>): Promise<{ seconds: number }> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await send(items[next++]!);
    }),
  );
  return { seconds: (performance.now() - started) / 1000 };
}

const INSERT = `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at)
  SELECT $1, e.event_id, e.meter, e.quantity, e.occurred_at
  FROM unnest($2::text[], $3::text[], $4::numeric[], $5::timestamptz[]) AS e (event_id, meter, quantity, occurred_at)
  ON CONFLICT (tenant_id, event_id) DO NOTHING`;

function insertParams(tenantId: string, batch: UsageEvent[]) {
  return [
    tenantId,
    batch.map((e) => e.id),
    batch.map((e) => e.meter),
    batch.map((e) => String(e.quantity)),
    batch.map((e) => e.timestamp),
  ];
}

// ------------------------------------------------------------------ ingestion

async function benchIngestion(baseUrl: string, database: BenchDatabase, ownerToken: string, slug: string) {
  const key = (await request(baseUrl, 'POST', `/api/v1/tenants/${slug}/api-keys`, ownerToken, {
    name: 'bench usage',
    role: 'developer',
  })) as { key: string };
  const [bareTenant] = await seedTenants(database, 'bench-bare-insert', 1);

  async function post(body: string): Promise<void> {
    const response = await fetch(new URL('/api/v1/usage', baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`POST /api/v1/usage answered ${response.status}: ${text}`);
  }
  const pool = new pg.Pool({ connectionString: database.ownerUrl, max: CONCURRENCY });
  onCleanup(() => pool.end());

  // Warm-up (not counted): the API's pools, the table's index, both paths.
  const warm = batchesOf('warm', Math.min(EVENTS, 20 * BATCH));
  await drive(
    warm.map((batch) => JSON.stringify({ events: batch })),
    post,
  );
  await drive(batchesOf('warm-bare', Math.min(EVENTS, 20 * BATCH)), async (batch) => {
    await pool.query(INSERT, insertParams(bareTenant!.id, batch));
  });

  const apiBodies = batchesOf('api', EVENTS).map((batch) => JSON.stringify({ events: batch }));
  const apiRun = await drive(apiBodies, post);
  const bareRun = await drive(batchesOf('bare', EVENTS), async (batch) => {
    await pool.query(INSERT, insertParams(bareTenant!.id, batch));
  });
  const [counts] = await withClient(
    database.ownerUrl,
    async (db) =>
      (
        await db.query<{ api: number; bare: number }>(
          `SELECT count(*) FILTER (WHERE event_id LIKE 'api-%')::int AS api,
                count(*) FILTER (WHERE event_id LIKE 'bare-%')::int AS bare FROM usage_events`,
        )
      ).rows,
  );
  if (counts!.api !== EVENTS || counts!.bare !== EVENTS)
    throw new Error(`stored ${counts!.api} events through the API and ${counts!.bare} bare, expected ${EVENTS} each`);
  return {
    api: EVENTS / apiRun.seconds,
    bare: EVENTS / bareRun.seconds,
    apiSeconds: apiRun.seconds,
    bareSeconds: bareRun.seconds,
  };
}

// ------------------------------------------------------------------ reconciliation

async function seedUsage(database: BenchDatabase, tenants: Array<{ id: string }>) {
  const openHour = Math.floor(Date.now() / HOUR) * HOUR;
  const chunk = 50_000;
  await withClient(database.ownerUrl, async (db) => {
    for (let start = 0; start < RECONCILE_EVENTS; start += chunk) {
      const rows = Math.min(chunk, RECONCILE_EVENTS - start);
      const tenant: string[] = [];
      const id: string[] = [];
      const meter: string[] = [];
      const quantity: number[] = [];
      const at: string[] = [];
      for (let offset = 0; offset < rows; offset += 1) {
        const n = start + offset;
        tenant.push(tenants[n % tenants.length]!.id);
        id.push(`seed-${n}`);
        meter.push(BILLED[Math.floor(n / tenants.length) % BILLED.length]!);
        quantity.push(1 + (n % 5));
        // Spread over the closed hours, none in the open one.
        at.push(new Date(openHour - HOURS * HOUR + ((n * 7919) % (HOURS * HOUR - 1000))).toISOString());
      }
      await db.query(
        `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at, received_at)
         SELECT t, i, m, q, o, o FROM unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[])
           AS e (t, i, m, q, o)`,
        [tenant, id, meter, quantity, at],
      );
    }
    await db.query('VACUUM (ANALYZE) usage_events');
  });
  return { from: new Date(openHour - HOURS * HOUR), to: new Date(openHour) };
}

async function bareGroupBy(database: BenchDatabase, range: { from: Date; to: Date }) {
  return withClient(database.ownerUrl, async (db) => {
    const times: number[] = [];
    let groups = 0;
    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      const result = await db.query(
        `SELECT tenant_id, meter, date_bin('1 hour', occurred_at, 'epoch'::timestamptz) AS hour, sum(quantity) AS total,
                count(*) AS events
         FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2 AND event_id LIKE 'seed-%'
         GROUP BY tenant_id, meter, hour`,
        [range.from, range.to],
      );
      times.push((performance.now() - started) / 1000);
      groups = result.rowCount ?? 0;
    }
    return { seconds: Math.min(...times), groups };
  });
}

/** One run over a tenant of its own with a few events, whose rows are then removed (the runs measured never see it). */
async function warmUp(baseUrl: string, adminToken: string, temporal: Client, database: BenchDatabase) {
  const [tenant] = await seedTenants(database, 'bench-warm', 1);
  const openHour = Math.floor(Date.now() / HOUR) * HOUR;
  await withClient(database.ownerUrl, (db) =>
    db.query(
      `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at, received_at)
       SELECT $1, 'warm-' || n, ($2::text[])[1 + n % cardinality($2::text[])], 1, at, at
       FROM generate_series(0, 29) AS n, LATERAL (SELECT $3::timestamptz - n * interval '5 minutes' AS at) AS t`,
      [tenant!.id, BILLED, new Date(openHour - 1000)],
    ),
  );
  await runReconciliation(baseUrl, adminToken, temporal);
  await withClient(database.ownerUrl, async (db) => {
    for (const table of ['metering_reconciliations', 'metering_reports', 'metering_windows', 'usage_events'])
      await db.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenant!.id]);
  });
}

async function runReconciliation(baseUrl: string, adminToken: string, temporal: Client) {
  const started = performance.now();
  const { workflowId } = (await request(baseUrl, 'POST', '/api/v1/admin/metering/runs', adminToken)) as {
    workflowId: string;
  };
  const result = (await temporal.workflow.getHandle(workflowId).result()) as ReconcileMeteringResult;
  const seconds = (performance.now() - started) / 1000;
  const settleSteps = result.progress.steps.filter((step) => step.name === 'settle');
  // Rounds of settling: each one sleeps the delay (the step's note says which round it is in).
  const rounds = Math.max(1, ...settleSteps.map((step) => Number(/Round (\d+)/.exec(step.note ?? '')?.[1] ?? 1)));
  const steps = Object.fromEntries(
    result.progress.steps.map((step) => [
      step.name,
      step.startedAt && step.completedAt ? (Date.parse(step.completedAt) - Date.parse(step.startedAt)) / 1000 : null,
    ]),
  );
  return { seconds, work: seconds - (rounds * SETTLE_MS) / 1000, rounds, result, steps };
}

// ------------------------------------------------------------------ main

const seconds = (s: number) => `${s.toFixed(2)} s`;

async function ingestionPart(baseUrl: string, database: BenchDatabase, owner: { token: string; userId: string }) {
  const [usageTenant] = await seedTenants(database, 'bench-usage', 1);
  await withClient(database.ownerUrl, (db) =>
    db.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      usageTenant!.id,
      owner.userId,
    ]),
  );
  process.stderr.write(`[bench] ingestion: ${EVENTS} events, batches of ${BATCH}, ${CONCURRENCY} at once\n`);
  const ingestion = await benchIngestion(baseUrl, database, owner.token, usageTenant!.slug);
  console.log(`\nUsage ingestion, ${EVENTS} events in batches of ${BATCH}, ${CONCURRENCY} at once; ${machineLine()}\n`);
  console.log(
    table([
      ['path', 'time', 'events/s', 'ratio to bare'],
      ['bare multi-row INSERT (baseline)', seconds(ingestion.bareSeconds), ingestion.bare.toFixed(0), '×1.00'],
      [
        'POST /api/v1/usage',
        seconds(ingestion.apiSeconds),
        ingestion.api.toFixed(0),
        ratio(ingestion.api, ingestion.bare),
      ],
    ]),
  );
  console.log('\ngoal: POST /api/v1/usage at least ×0.50 of the bare insert');
  return { ...ingestion, ratio: ingestion.api / ingestion.bare };
}

async function reconciliationPart(
  platform: Awaited<ReturnType<typeof startPlatform>>,
  database: BenchDatabase,
  temporalAddress: string,
  adminToken: string,
  ledger: { meterEventPosts(): number },
) {
  await platform.startWorker();
  const connection = await Connection.connect({ address: temporalAddress });
  onCleanup(() => connection.close());
  const temporal = new Client({ connection });
  // A warm-up run, as the baseline's best of three is warm: a long-running worker reconciles
  // every hour, so its first workflow's and first activities' costs are not the run's.
  process.stderr.write('[bench] reconciliation: warm-up run (one tenant of its own, removed after)\n');
  await warmUp(platform.baseUrl, adminToken, temporal, database);
  process.stderr.write(`[bench] reconciliation: seeding ${RECONCILE_EVENTS} events of ${TENANTS} tenants\n`);
  const tenants = await seedTenants(database, 'bench-metered', TENANTS);
  const range = await seedUsage(database, tenants);
  const bare = await bareGroupBy(database, range);
  process.stderr.write('[bench] reconciliation: first run\n');
  const postsBefore = ledger.meterEventPosts();
  const first = await runReconciliation(platform.baseUrl, adminToken, temporal);
  const firstPosts = ledger.meterEventPosts() - postsBefore;
  process.stderr.write('[bench] reconciliation: second run (nothing new)\n');
  const second = await runReconciliation(platform.baseUrl, adminToken, temporal);
  const secondPosts = ledger.meterEventPosts() - postsBefore - firstPosts;
  if (first.result.reported !== bare.groups)
    throw new Error(`the run reported ${first.result.reported} windows, the GROUP BY found ${bare.groups}`);
  if (secondPosts !== 0) throw new Error(`the second run sent ${secondPosts} meter events`);

  console.log(
    `\nReconciliation, ${RECONCILE_EVENTS} events, ${TENANTS} tenants × ${BILLED.length} meters × ${HOURS} hours ` +
      `= ${bare.groups} windows; settling delay ${SETTLE_MS} ms × ${first.rounds} round(s); ${machineLine()}\n`,
  );
  console.log(
    table([
      ['run', 'time', 'without settling', 'ratio to bare', 'meter events sent'],
      ['bare GROUP BY per tenant, meter, hour (baseline)', seconds(bare.seconds), seconds(bare.seconds), '×1.00', ''],
      [
        'reconcileMetering, first run',
        seconds(first.seconds),
        seconds(first.work),
        ratio(first.work, bare.seconds),
        String(firstPosts),
      ],
      [
        'reconcileMetering, again (nothing new)',
        seconds(second.seconds),
        seconds(second.work),
        ratio(second.work, bare.seconds),
        String(secondPosts),
      ],
    ]),
  );
  console.log(`\nsteps of the first run (s): ${JSON.stringify(first.steps)}`);
  console.log('goal: the first run, without settling, at most ×5.00 of the bare GROUP BY');
  return {
    bareGroupBySeconds: bare.seconds,
    windows: bare.groups,
    first: { seconds: first.seconds, work: first.work, steps: first.steps, meterEvents: firstPosts },
    second: { seconds: second.seconds, work: second.work, steps: second.steps, meterEvents: secondPosts },
    ratio: first.work / bare.seconds,
  };
}

let exitCode = 0;
try {
  process.stderr.write('[bench] starting stripe-mock (scripts/servers.sh)\n');
  const servers = await startTestServers(['stripe']);
  onCleanup(() => servers.stop());
  Object.assign(process.env, servers.env);
  // The ledger reads stripe-mock's address from the environment when it is loaded.
  const { startFakeLedger } = await import('../tests/support/fake-ledger.ts');
  const ledger = await startFakeLedger({
    meters: Object.fromEntries(Object.values(STRIPE_METERS).map((m) => [m.id, m.event])),
  });
  onCleanup(() => ledger.stop());

  const temporalServer = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  onCleanup(() => temporalServer.stop());
  const database = await createBenchDatabase();
  const platform = await startPlatform({
    database,
    temporalAddress: temporalServer.address,
    extraApiEnv: {
      METERING_SCHEDULE: 'off',
      METERING_SETTLING_DELAY: `${SETTLE_MS}ms`,
      ...(args['cpu-prof'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${args['cpu-prof']}` } : {}),
    },
    extraWorkerEnv: {
      ...ledger.workerEnv(STRIPE_METERS),
      ...(args['worker-cpu-prof'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${args['worker-cpu-prof']}` } : {}),
    },
  });
  const admin = await seedUser(database, platform.jwtKey, { email: 'admin@bench.test', platformAdmin: true });
  const owner = await seedUser(database, platform.jwtKey, { email: 'owner@bench-usage.test', platformAdmin: false });

  const results: Record<string, unknown> = {};
  if (PART !== 'reconciliation') results.ingestion = await ingestionPart(platform.baseUrl, database, owner);
  if (PART !== 'ingestion')
    results.reconciliation = await reconciliationPart(platform, database, temporalServer.address, admin.token, ledger);
  writeResults(
    'metering',
    {
      part: PART,
      events: EVENTS,
      batch: BATCH,
      concurrency: CONCURRENCY,
      reconcileEvents: RECONCILE_EVENTS,
      tenants: TENANTS,
      hours: HOURS,
      settleMs: SETTLE_MS,
    },
    results,
  );
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUpTo(0);
}
process.exit(exitCode);

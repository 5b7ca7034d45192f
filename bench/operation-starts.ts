// `npm run bench -- starts`: how fast the API starts operations, against the Temporal client
// alone starting the same workflow on the same server, measured in the same run.
//
// The operation is tenant provisioning (`POST /api/v1/tenants`, a platform admin's token, a
// new slug each time). No worker runs, so only the start is measured: the API's whole path
// (authentication, validation, the slug check in PostgreSQL, the start with its search
// attributes, the 202) against `client.workflow.start` of `provisionTenant` with the same
// arguments, from this process. Each side keeps --concurrency requests in flight for
// --duration seconds. Goal (issue 12): the API at ≥ 0.5 × the client's starts/s.
//
// It starts its own Temporal dev server (in memory) and database; the cleanup terminates
// every workflow it started, then stops the server and drops the database.
//
//   npm run bench -- starts                      16 in flight, 30 s each (after 3 s of warm-up)
//   npm run bench -- starts --concurrency 16 --duration 30
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { readApiConfig } from '../api/config.ts';
import { startTenantProvisioning } from '../api/tenant-provisioning/starter.ts';
import { freePort } from '../scripts/free-port.ts';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.ts';
import { cleanUpTo, onCleanup } from './support/cleanups.ts';
import { createBenchDatabase, seedUser } from './support/database.ts';
import { machineLine, percentile, ratio, table, writeResults } from './support/figures.ts';
import { positiveInt } from './support/options.ts';
import { startPlatform } from './support/platform.ts';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== 'starts'),
  options: {
    concurrency: { type: 'string', default: '16' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench -- starts [--concurrency 16] [--duration 30] [--warmup 3]\n' +
      'Env: ATRIUM_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres), a superuser.',
  );
  process.exit(0);
}
const CONCURRENCY = positiveInt('--concurrency', args.concurrency);
const DURATION_S = positiveInt('--duration', args.duration);
const WARMUP_S = positiveInt('--warmup', args.warmup);

interface StartFigures {
  starts: number;
  startsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Keeps CONCURRENCY `start(n)` calls in flight for `seconds`; every one must succeed. */
async function drive(seconds: number, start: (n: number) => Promise<void>): Promise<StartFigures> {
  const latencies: number[] = [];
  let next = 0;
  const deadline = performance.now() + seconds * 1000;
  const lane = async () => {
    while (performance.now() < deadline) {
      const n = next++;
      const began = performance.now();
      await start(n);
      latencies.push(performance.now() - began);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    starts: latencies.length,
    startsPerSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

let exitCode = 0;
try {
  process.stderr.write('[bench starts] starting Temporal, a database and the API (no worker)...\n');
  const temporal = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  onCleanup(() => temporal.stop());
  const database = await createBenchDatabase();
  const platform = await startPlatform({ database, temporalAddress: temporal.address });
  const admin = await seedUser(database, platform.jwtKey, { email: 'admin@bench.test', platformAdmin: true });

  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: 'default' });
  // The API's own settings, read as the API reads them, so both sides start identical workflows.
  const settings = readApiConfig({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: platform.taskQueue,
    JWT_PRIVATE_KEY: platform.jwtKey,
  });
  const starter = {
    client,
    taskQueuePrefix: platform.taskQueue,
    timings: settings.settings.activityTimings,
    approval: settings.settings.approval,
  };
  // Everything either side starts, terminated at the end (registered before the first start).
  onCleanup(async () => {
    const ids: string[] = [];
    for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
      ids.push(execution.workflowId);
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(
        ids.slice(i, i + 50).map((id) => client.workflow.getHandle(id).terminate('benchmark finished')),
      );
    await connection.close();
  });

  const run = randomUUID().slice(0, 6);
  const clientStart = (phase: string) => async (n: number) => {
    const slug = `bc-${run}-${phase}-${n}`;
    const started = await startTenantProvisioning(starter, {
      tenantId: randomUUID(),
      slug,
      name: `Bench ${n}`,
      plan: 'team',
      ownerEmail: `owner-${n}@bench.test`,
      requestedBy: { type: 'user', id: admin.userId, requestId: randomUUID(), ip: '127.0.0.1' },
      requestedAt: new Date().toISOString(),
    });
    if (!started.started) throw new Error(`client: ${slug} was not started`);
  };
  const apiStart = (phase: string) => async (n: number) => {
    const slug = `ba-${run}-${phase}-${n}`;
    const response = await fetch(new URL('/api/v1/tenants', platform.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug, name: `Bench ${n}`, plan: 'team', ownerEmail: `owner-${n}@bench.test` }),
    });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`api: POST /api/v1/tenants answered ${response.status}: ${text}`);
  };

  process.stderr.write(`[bench starts] Temporal client: ${WARMUP_S} s warm-up, ${DURATION_S} s...`);
  await drive(WARMUP_S, clientStart('w'));
  const baseline = await drive(DURATION_S, clientStart('m'));
  process.stderr.write(' done\n[bench starts] API: ...');
  await drive(WARMUP_S, apiStart('w'));
  const api = await drive(DURATION_S, apiStart('m'));
  process.stderr.write(' done\n');

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const rows = [['starts of provisionTenant', 'starts', 'starts/s', 'ratio', 'p50', 'p95', 'p99']];
  for (const [name, figures] of [
    ['Temporal client alone', baseline],
    ['API: POST /api/v1/tenants', api],
  ] as const)
    rows.push([
      name,
      String(figures.starts),
      figures.startsPerSecond.toFixed(1),
      figures === baseline ? 'baseline' : ratio(figures.startsPerSecond, baseline.startsPerSecond),
      ms(figures.p50),
      ms(figures.p95),
      ms(figures.p99),
    ]);
  console.log(
    `\nOperation starts, ${CONCURRENCY} in flight, ${DURATION_S} s each after ${WARMUP_S} s of warm-up, no worker; ` +
      `${machineLine()}\nratio: starts/s over the Temporal client's (goal ≥ 0.5)\n`,
  );
  console.log(table(rows));
  writeResults(
    'starts',
    { concurrency: CONCURRENCY, durationS: DURATION_S, warmupS: WARMUP_S },
    { client: baseline, api },
  );
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUpTo(0);
}
process.exit(exitCode);

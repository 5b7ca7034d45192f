// `npm run bench`: how long provisionTenant takes for N tenants created at the same time,
// against a baseline of one tenant at a time, measured in the same run, on the embedded
// defaults (local secret store, local billing, no cluster) and on the real servers
// (OpenBao, stripe-mock, the local Kubernetes control plane via scripts/servers.sh).
//
// It starts everything it needs (a Temporal dev server on free ports, a fresh PostgreSQL
// database per mode, the real servers, a worker and the API as child processes) and stops
// and removes all of it at the end, also on Ctrl-C.
//
//   npm run bench                                  10 tenants at once, baseline of 5, both modes
//   npm run bench -- --tenants 20 --baseline 3 --modes embedded
//
// A tenant's time runs from the POST /api/v1/tenants request to its workflow's result.
// The numbers are for comparing changes on the same machine, not for capacity planning.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../scripts/free-port.ts';
import type { TemporalDevServer } from '../scripts/temporal-dev-server.ts';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.ts';
import type { TestServers } from '../scripts/test-servers.ts';
import { startTestServers } from '../scripts/test-servers.ts';
import { cleanupMark, cleanUpTo, onCleanup } from './support/cleanups.ts';
import { createBenchDatabase, seedUser, withClient } from './support/database.ts';
import { machineLine, percentile, ratio, table, writeResults } from './support/figures.ts';
import type { ProvisionTenantResult } from '../workflows/tenant-provisioning/contract.ts';
import { positiveInt } from './support/options.ts';
import { startPlatform } from './support/platform.ts';

type Mode = 'embedded' | 'real';

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    tenants: { type: 'string', default: '10' },
    baseline: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'embedded,real' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench -- provisioning [--tenants N (10)] [--baseline K (5)] [--modes embedded,real]\n' +
      'Env: ATRIUM_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres), a superuser.',
  );
  process.exit(0);
}
const TENANTS = positiveInt('--tenants', args.tenants);
const BASELINE = positiveInt('--baseline', args.baseline);
const MODES = args.modes.split(',').map((mode) => {
  if (mode !== 'embedded' && mode !== 'real') throw new Error(`--modes: unknown mode "${mode}" (embedded, real)`);
  return mode;
});

// ------------------------------------------------------------------ one mode

interface Run {
  latenciesMs: number[];
  wallMs: number;
  /** Per tenant: how long each step ran (from the workflow's own progress), by step name. */
  stepsMs: Array<Record<string, number>>;
}

/** Each completed step's time, from the progress the workflow returns with its result. */
function stepTimes(result: ProvisionTenantResult): Record<string, number> {
  const times: Record<string, number> = {};
  for (const step of result.progress?.steps ?? [])
    if (step.startedAt && step.completedAt)
      times[step.name] = Date.parse(step.completedAt) - Date.parse(step.startedAt);
  return times;
}

async function benchMode(mode: Mode, temporal: TemporalDevServer, servers: TestServers | undefined) {
  const database = await createBenchDatabase();
  const real: Record<string, string> = {};
  if (mode === 'real') {
    const env = servers!.env;
    Object.assign(real, {
      VAULT_ADDR: env.ATRIUM_TEST_VAULT_ADDR!,
      VAULT_TOKEN: env.ATRIUM_TEST_VAULT_TOKEN!,
      STRIPE_SECRET_KEY: env.ATRIUM_TEST_STRIPE_SECRET_KEY!,
      STRIPE_API_HOST: env.ATRIUM_TEST_STRIPE_HOST!,
      STRIPE_API_PORT: env.ATRIUM_TEST_STRIPE_PORT!,
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_PRICES: JSON.stringify({ free: 'price_free', team: 'price_team', enterprise: 'price_enterprise' }),
      KUBECONFIG: env.ATRIUM_TEST_KUBECONFIG!,
    });
  }
  const platform = await startPlatform({ database, temporalAddress: temporal.address, extraWorkerEnv: real });
  await platform.startWorker();
  const baseUrl = platform.baseUrl;
  const { token } = await seedUser(database, platform.jwtKey, { email: 'bench@platform.test', platformAdmin: true });
  const connection = await Connection.connect({ address: temporal.address });
  onCleanup(() => connection.close());
  const client = new Client({ connection });

  let counter = 0;
  const provisionOne = async (run: Run): Promise<void> => {
    counter += 1;
    const slug = `bench-${mode.slice(0, 4)}-${counter}-${randomBytes(3).toString('hex')}`;
    const started = performance.now();
    const response = await fetch(new URL('/api/v1/tenants', baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug, name: `Bench ${counter}`, plan: 'team', ownerEmail: `owner@${slug}.test` }),
    });
    const body = (await response.json()) as { operation?: { id: string }; detail?: string };
    if (response.status !== 202 || !body.operation)
      throw new Error(`POST /api/v1/tenants answered ${response.status}: ${JSON.stringify(body)}`);
    const result = (await client.workflow.getHandle(body.operation.id).result()) as ProvisionTenantResult;
    run.latenciesMs.push(performance.now() - started);
    run.stepsMs.push(stepTimes(result));
  };

  process.stderr.write(`[bench] ${mode}: warm-up...`);
  // The first run pays for cold caches (workflow bundle, connections); not counted.
  await provisionOne({ latenciesMs: [], wallMs: 0, stepsMs: [] });
  process.stderr.write(` baseline (${BASELINE} one after another)...`);
  const baseline: Run = { latenciesMs: [], wallMs: 0, stepsMs: [] };
  const baselineStart = performance.now();
  for (let i = 0; i < BASELINE; i++) await provisionOne(baseline);
  baseline.wallMs = performance.now() - baselineStart;
  process.stderr.write(` ${TENANTS} at once...`);
  const concurrentStart = performance.now();
  const concurrent: Run = { latenciesMs: [], wallMs: 0, stepsMs: [] };
  await Promise.all(Array.from({ length: TENANTS }, () => provisionOne(concurrent)));
  concurrent.wallMs = performance.now() - concurrentStart;
  process.stderr.write(' done\n');

  const [active] = await withClient(
    database.ownerUrl,
    async (db) =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tenants WHERE status = 'active'`)).rows,
  );
  const expected = 1 + BASELINE + TENANTS;
  if (active?.n !== expected) throw new Error(`${mode}: ${active?.n} of ${expected} tenants active`);

  // Stop this mode's processes and database now, so the next mode starts clean.
  await cleanUpTo(sharedCleanups);
  return { baseline, concurrent };
}

let sharedCleanups = 0;

// ------------------------------------------------------------------ figures

interface Figures {
  mean: number;
  p50: number;
  p95: number;
  max: number;
  /** Tenants provisioned per second of wall time. */
  throughput: number;
}

function figures(run: Run): Figures {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  return {
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1)!,
    throughput: (sorted.length / run.wallMs) * 1000,
  };
}

/** [step, mean one at a time, mean all at once] for every step, then the time between steps. */
function stepBreakdown(baseline: Run, concurrent: Run): Array<[string, number, number]> {
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(values.length, 1);
  const names = [...new Set(baseline.stepsMs.flatMap((steps) => Object.keys(steps)))];
  const rest = (run: Run) =>
    mean(run.latenciesMs.map((latency, i) => latency - Object.values(run.stepsMs[i] ?? {}).reduce((a, b) => a + b, 0)));
  return [
    ...names.map((name): [string, number, number] => [
      name,
      mean(baseline.stepsMs.map((steps) => steps[name] ?? 0)),
      mean(concurrent.stepsMs.map((steps) => steps[name] ?? 0)),
    ]),
    ['(outside the steps)', rest(baseline), rest(concurrent)],
  ];
}

// ------------------------------------------------------------------ main

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

let exitCode = 0;
try {
  let servers: TestServers | undefined;
  if (MODES.includes('real')) {
    process.stderr.write('[bench] starting OpenBao, stripe-mock and kube (scripts/servers.sh)\n');
    servers = await startTestServers(['vault', 'stripe', 'kube']);
    const started = servers;
    onCleanup(() => started.stop());
  }
  const temporal = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  onCleanup(() => temporal.stop());
  sharedCleanups = cleanupMark();

  const rows: string[][] = [['mode', 'run', 'tenants', 'mean', 'p50', 'p95', 'max', 'tenants/s']];
  const goals: string[] = [];
  const results: Record<string, unknown> = {};
  const stepRows: string[][] = [['mode', 'step', 'one at a time: mean', 'all at once: mean', 'ratio']];
  for (const mode of MODES) {
    const { baseline, concurrent } = await benchMode(mode, temporal, servers);
    const base = figures(baseline);
    const load = figures(concurrent);
    const label = mode === 'embedded' ? 'embedded defaults' : 'real servers';
    const steps = stepBreakdown(baseline, concurrent);
    results[mode] = {
      baseline: base,
      concurrent: load,
      p95OverBaselineMean: load.p95 / base.mean,
      steps: steps.map(([step, oneMs, allMs]) => ({ step, oneMs, allMs })),
    };
    const cells = (f: Figures) => [
      seconds(f.mean),
      seconds(f.p50),
      seconds(f.p95),
      seconds(f.max),
      f.throughput.toFixed(2),
    ];
    rows.push([label, 'baseline, one at a time', String(BASELINE), ...cells(base)]);
    rows.push([label, 'all at once', String(TENANTS), ...cells(load)]);
    rows.push([
      label,
      'ratio all at once / baseline',
      '',
      ratio(load.mean, base.mean),
      ratio(load.p50, base.p50),
      ratio(load.p95, base.p95),
      ratio(load.max, base.max),
      ratio(load.throughput, base.throughput),
    ]);
    // Issue 12's goal: the p95 of all at once at most 4.5 × the mean of one at a time.
    goals.push(`${label}: p95 all at once / mean one at a time ${ratio(load.p95, base.mean)} (goal: at most ×4.5)`);
    for (const [step, one, all] of steps) stepRows.push([label, step, seconds(one), seconds(all), ratio(all, one)]);
  }
  console.log(
    `\nprovisionTenant, ${TENANTS} tenants at once vs ${BASELINE} one at a time (after one warm-up each); ` +
      `${machineLine()}\n`,
  );
  console.log(table(rows, 3));
  console.log(`\n${goals.join('\n')}`);
  // Where a tenant's time went: each step as the workflow timed it, and the rest (the API's
  // start, waiting for a worker between steps, the result reaching the client).
  console.log(`\nWhere the time went, per tenant (steps as the workflow timed them):\n`);
  console.log(table(stepRows, 2));
  writeResults('provisioning', { tenants: TENANTS, baseline: BASELINE, modes: MODES }, results);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUpTo(0);
}
process.exit(exitCode);

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
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { createAccessTokens } from '../api/auth/access-tokens.ts';
import { createDataSource } from '../db/data-source.ts';
import { createUserIfAbsent } from '../db/repositories/users.ts';
import { runMigrations } from '../db/run-migrations.ts';
import { ensureRuntimeLogin } from '../db/runtime-role.ts';
import { freePort } from '../scripts/free-port.ts';
import type { TemporalDevServer } from '../scripts/temporal-dev-server.ts';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.ts';
import type { TestServers } from '../scripts/test-servers.ts';
import { startTestServers } from '../scripts/test-servers.ts';
import type { ChildHandle } from '../tests/support/processes.ts';
import { ENTRY_POINTS, startNodeProcess } from '../tests/support/processes.ts';

type Mode = 'embedded' | 'real';

const { values: args } = parseArgs({
  options: {
    tenants: { type: 'string', default: '10' },
    baseline: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'embedded,real' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench -- [--tenants N (10)] [--baseline K (5)] [--modes embedded,real]\n' +
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
const POSTGRES_URL = process.env.ATRIUM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUNTIME_ROLE = 'atrium_runtime';

function positiveInt(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}

// ------------------------------------------------------------------ cleanup

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error('cleanup failed:', error);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });

// ------------------------------------------------------------------ database

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database (like the tests'), dropped with its tenant roles by the cleanup. */
async function createBenchDatabase(): Promise<{ url: string; ownerUrl: string }> {
  const name = `atrium_bench_${randomBytes(5).toString('hex')}`;
  await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  cleanups.push(() =>
    withClient(POSTGRES_URL, async (client) => {
      const roles = await client.query<{ rolname: string }>(
        `SELECT r.rolname FROM pg_roles r
         WHERE shobj_description(r.oid, 'pg_authid') LIKE $1 AND r.rolname LIKE 'tenant\\_%\\_login'`,
        [`atrium tenant % in database ${name}`],
      );
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      for (const { rolname } of roles.rows) await client.query(`DROP ROLE IF EXISTS "${rolname}"`);
    }),
  );
  const owner = new URL(POSTGRES_URL);
  owner.pathname = `/${name}`;
  const dataSource = createDataSource({ url: owner.toString(), applicationName: 'atrium-bench', poolSize: 1 });
  await runMigrations(dataSource, { keepOpen: true });
  await ensureRuntimeLogin(dataSource, RUNTIME_ROLE);
  await dataSource.destroy();
  const runtime = new URL(owner);
  runtime.username = RUNTIME_ROLE;
  runtime.password = '';
  return { url: runtime.toString(), ownerUrl: owner.toString() };
}

/** A platform admin in the database and an access token for it. */
async function seedAdmin(ownerUrl: string, privateKeyPem: string): Promise<string> {
  const dataSource = createDataSource({ url: ownerUrl, applicationName: 'atrium-bench', poolSize: 1 });
  await dataSource.initialize();
  let userId: string | null;
  try {
    userId = await createUserIfAbsent(dataSource, {
      email: 'bench@platform.test',
      displayName: 'bench',
      password: randomBytes(16).toString('base64url'),
      isPlatformAdmin: true,
    });
  } finally {
    await dataSource.destroy();
  }
  const tokens = await createAccessTokens({
    privateKeyPem,
    issuer: 'atrium',
    audience: 'atrium-api',
    ttlMs: 3_600_000,
  });
  return tokens.sign({ userId: userId!, platformAdmin: true });
}

// ------------------------------------------------------------------ one mode

interface Run {
  latenciesMs: number[];
  wallMs: number;
}

async function benchMode(mode: Mode, temporal: TemporalDevServer, servers: TestServers | undefined) {
  const database = await createBenchDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-bench-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const taskQueue = `atrium-bench-${randomBytes(4).toString('hex')}`;
  const common = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SECRET_STORE_KEY_FILE: join(dataDir, 'secret-store.key'),
  };
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
  const worker = await startNodeProcess(ENTRY_POINTS.worker, {
    env: { ...common, ...real, LICENSE_SIGNING_KEY_FILE: join(dataDir, 'license.pem') },
    readyWhen: /"Worker started"/,
  });
  cleanups.push(() => worker.stop());
  const api: ChildHandle & { ready: RegExpMatchArray } = await startNodeProcess(ENTRY_POINTS.api, {
    env: { ...common, PORT: '0', PORTAL_MODE: 'off', JWT_PRIVATE_KEY: jwtKey },
    readyWhen: /"url":"(http:\/\/[^"]+)"/,
  });
  cleanups.push(() => api.stop());
  const baseUrl = api.ready[1] as string;
  const token = await seedAdmin(database.ownerUrl, jwtKey);
  const connection = await Connection.connect({ address: temporal.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });

  let counter = 0;
  const provisionOne = async (): Promise<number> => {
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
    await client.workflow.getHandle(body.operation.id).result();
    return performance.now() - started;
  };

  process.stderr.write(`[bench] ${mode}: warm-up...`);
  await provisionOne(); // first run pays for cold caches (workflow bundle, connections); not counted
  process.stderr.write(` baseline (${BASELINE} one after another)...`);
  const baseline: Run = { latenciesMs: [], wallMs: 0 };
  const baselineStart = performance.now();
  for (let i = 0; i < BASELINE; i++) baseline.latenciesMs.push(await provisionOne());
  baseline.wallMs = performance.now() - baselineStart;
  process.stderr.write(` ${TENANTS} at once...`);
  const concurrentStart = performance.now();
  const concurrent: Run = {
    latenciesMs: await Promise.all(Array.from({ length: TENANTS }, () => provisionOne())),
    wallMs: 0,
  };
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
  await cleanUpMode();
  return { baseline, concurrent };
}

/** Runs the cleanups registered by the current mode (everything after the shared servers). */
let sharedCleanups = 0;
async function cleanUpMode(): Promise<void> {
  while (cleanups.length > sharedCleanups) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error('cleanup failed:', error);
    }
  }
}

// ------------------------------------------------------------------ figures

interface Figures {
  mean: number;
  p50: number;
  p95: number;
  max: number;
  /** Tenants provisioned per second of wall time. */
  throughput: number;
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
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

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (column < 3 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

// ------------------------------------------------------------------ main

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (value: number, base: number) => `×${(value / base).toFixed(2)}`;

let exitCode = 0;
try {
  let servers: TestServers | undefined;
  if (MODES.includes('real')) {
    process.stderr.write('[bench] starting OpenBao, stripe-mock and kube (scripts/servers.sh)\n');
    servers = startTestServers(['vault', 'stripe', 'kube']);
    const started = servers;
    cleanups.push(() => started.stop());
  }
  const temporal = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  cleanups.push(() => temporal.stop());
  sharedCleanups = cleanups.length;

  const rows: string[][] = [['mode', 'run', 'tenants', 'mean', 'p50', 'p95', 'max', 'tenants/s']];
  for (const mode of MODES) {
    const { baseline, concurrent } = await benchMode(mode, temporal, servers);
    const base = figures(baseline);
    const load = figures(concurrent);
    const label = mode === 'embedded' ? 'embedded defaults' : 'real servers';
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
  }
  const cpu = cpus();
  console.log(
    `\nprovisionTenant, ${TENANTS} tenants at once vs ${BASELINE} one at a time (after one warm-up each); ` +
      `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}\n`,
  );
  console.log(table(rows));
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);

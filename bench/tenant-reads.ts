// `npm run bench -- reads`: what the API's tenant-scoped reads cost, against a pinned bare
// endpoint (bench/bare-endpoint.ts: express + a pg Pool of 10, the same SQL in one
// row-level-security transaction, the same JSON, no middleware), measured in the same run.
// This machine is noisy: only the ratios compare between runs.
//
// It starts what it needs (a Temporal dev server, a fresh database, the worker for the
// tenant's provisioning, then the API and the bare endpoint as child processes), loads
// each endpoint with autocannon from this process, prints a table and writes
// bench/results/reads-<time>.json. Everything is stopped and dropped at the end.
//
//   npm run bench -- reads                                   50 connections, 10 s each
//   npm run bench -- reads --connections 50 --duration 10 --rate 500 --members 20
//
// Two runs per endpoint: saturation (N connections as fast as answers come; requests/s
// and latency) and a fixed offered load (--rate requests/s spread over the connections;
// latency at that load). The goals (issue 12): tenant reads at ≥ 0.6 × the bare
// endpoint's requests/s, and p95 at the fixed load ≤ 2 × the bare endpoint's.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort } from '../scripts/free-port.ts';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.ts';
import { startNodeProcess } from '../tests/support/processes.ts';
import { request, waitForOperation } from './support/api.ts';
import { cleanUpTo, onCleanup } from './support/cleanups.ts';
import { createBenchDatabase, seedUser, withClient } from './support/database.ts';
import { machineLine, percentile, ratio, table, writeResults } from './support/figures.ts';
import { positiveInt } from './support/options.ts';
import { startPlatform } from './support/platform.ts';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== 'reads'),
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rate: { type: 'string', default: '500' },
    members: { type: 'string', default: '20' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    otlp: { type: 'string' },
    'sample-ratio': { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench -- reads [--connections 50] [--duration 10] [--warmup 2] [--rate 500] [--members 20]\n' +
      '                              [--only name,name] (names as in the table)\n' +
      '                              [--cpu-prof dir] (the API and the bare endpoint write V8 CPU profiles there, api.cpuprofile and bare.cpuprofile)\n' +
      '                              [--otlp url] [--sample-ratio 1] (the API traces every request to that OTLP/HTTP collector,\n' +
      '                              e.g. Jaeger from scripts/servers.sh start jaeger: the cost of tracing, issue 18)\n' +
      'Env: ATRIUM_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres), a superuser;\n' +
      "     BENCH_API_POOL, the API's API_DATABASE_POOL_SIZE (default: its own default), for experiments.",
  );
  process.exit(0);
}
const CONNECTIONS = positiveInt('--connections', args.connections);
const DURATION_S = positiveInt('--duration', args.duration);
const WARMUP_S = positiveInt('--warmup', args.warmup);
const RATE = positiveInt('--rate', args.rate);
const MEMBERS = positiveInt('--members', args.members);

const SLUG = 'bench-reads';

// ------------------------------------------------------------------ set-up

/** With --cpu-prof: the process writes <dir>/<name>.cpuprofile when it stops. */
function cpuProfile(name: string): Record<string, string> {
  const dir = args['cpu-prof'];
  return dir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-name=${name}.cpuprofile` } : {};
}

/** The API and the bare endpoint on one database, a tenant with members, and credentials. */
async function setUp() {
  const temporal = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  onCleanup(() => temporal.stop());
  const database = await createBenchDatabase();
  const platform = await startPlatform({
    database,
    temporalAddress: temporal.address,
    extraApiEnv: {
      ...(process.env.BENCH_API_POOL ? { API_DATABASE_POOL_SIZE: process.env.BENCH_API_POOL } : {}),
      ...cpuProfile('api'),
      ...(args.otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: args.otlp, TRACES_SAMPLE_RATIO: args['sample-ratio'] } : {}),
    },
  });
  const worker = await platform.startWorker();
  const admin = await seedUser(database, platform.jwtKey, { email: 'admin@bench.test', platformAdmin: true });
  const owner = await seedUser(database, platform.jwtKey, { email: 'owner@bench-reads.test', platformAdmin: false });

  const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', admin.token, {
    slug: SLUG,
    name: 'Bench reads',
    plan: 'team',
    ownerEmail: 'owner@bench-reads.test',
  });
  const operationId = (created as { operation: { id: string } }).operation.id;
  await waitForOperation(platform.baseUrl, admin.token, operationId);
  // The worker is not part of what is measured: stop it so it takes no CPU.
  await worker.stop();

  // The owner (and MEMBERS - 1 more) as members, written as the superuser: the benchmark
  // measures reads, and how members arrive is measured elsewhere.
  const tenantId = await withClient(database.ownerUrl, async (db) => {
    const [tenant] = (await db.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = $1`, [SLUG])).rows;
    await db.query(
      `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner') ON CONFLICT DO NOTHING`,
      [tenant!.id, owner.userId],
    );
    for (let i = 1; i < MEMBERS; i++) {
      const [user] = (
        await db.query<{ id: string }>(
          `INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, 'not-a-hash')
           ON CONFLICT ((lower(email))) DO UPDATE SET display_name = EXCLUDED.display_name RETURNING id`,
          [`member-${i}@bench-reads.test`, `Member ${i}`],
        )
      ).rows;
      await db.query(
        `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer') ON CONFLICT DO NOTHING`,
        [tenant!.id, user!.id],
      );
    }
    return tenant!.id;
  });

  const key = (await request(platform.baseUrl, 'POST', `/api/v1/tenants/${SLUG}/api-keys`, owner.token, {
    name: 'bench',
    role: 'viewer',
  })) as { key: string };

  const bare = await startNodeProcess('bench/bare-endpoint.ts', {
    env: { DATABASE_URL: database.url, BARE_TENANT_ID: tenantId, BARE_TENANT_SLUG: SLUG, ...cpuProfile('bare') },
    readyWhen: /"url":"(http:\/\/[^"]+)"/,
  });
  onCleanup(() => bare.stop());
  return {
    api: platform.baseUrl,
    bare: bare.ready[1] as string,
    memberToken: owner.token,
    apiKey: key.key,
    pids: { api: platform.api.process.pid!, bare: bare.process.pid! },
  };
}

// ------------------------------------------------------------------ load

interface Target {
  name: string;
  url: string;
  /** The server process answering (its CPU time is measured). */
  pid: number;
  token?: string;
  /** The baseline this target's ratio is taken against. */
  baseline?: string;
}

/**
 * CPU seconds a process has used (user + system, from /proc): on a noisy machine the CPU a
 * server spends per request compares better than requests/s, which other work steals from.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // Fields 14 and 15 of stat(5) (utime, stime), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface LoadFigures {
  /** The server process's CPU time per answered request (ms). */
  cpuMsPerRequest: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
}

/** One autocannon run; every answer must be a 200 (anything else fails the benchmark). */
async function load(target: Target, options: { seconds: number; rate?: number }): Promise<LoadFigures> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  // Without a callback autocannon returns its tracker made thenable: an event emitter
  // (per-response timings, for the p95 its summary lacks) that is also the result's promise.
  const instance = autocannon({
    url: target.url,
    connections: CONNECTIONS,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
  });
  const cpuBefore = cpuSeconds(target.pid);
  const result = await instance;
  const cpuUsed = cpuSeconds(target.pid) - cpuBefore;
  if (latencies.length === 0)
    throw new Error(`${target.name}: no answer in ${options.seconds} s (is the machine overloaded?)`);
  const unexpected = [...statuses].filter(([status]) => status !== 200);
  if (unexpected.length > 0 || result.errors > 0)
    throw new Error(
      `${target.name}: answers other than 200 (${JSON.stringify(Object.fromEntries(unexpected))}), ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  latencies.sort((a, b) => a - b);
  return {
    cpuMsPerRequest: (cpuUsed * 1000) / latencies.length,
    requestsPerSecond: latencies.length / options.seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    requests: latencies.length,
  };
}

// ------------------------------------------------------------------ main

const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;

let exitCode = 0;
try {
  process.stderr.write('[bench reads] starting Temporal, a database, the platform and the bare endpoint...\n');
  const setup = await setUp();
  const tenant = `/api/v1/tenants/${SLUG}`;
  const targets: Target[] = [
    { name: 'bare: tenant', pid: setup.pids.bare, url: `${setup.bare}/tenants/${SLUG}` },
    { name: 'bare: members', pid: setup.pids.bare, url: `${setup.bare}/tenants/${SLUG}/members` },
    {
      name: 'api: tenant (member token)',
      pid: setup.pids.api,
      url: `${setup.api}${tenant}`,
      token: setup.memberToken,
      baseline: 'bare: tenant',
    },
    {
      name: 'api: tenant (API key)',
      pid: setup.pids.api,
      url: `${setup.api}${tenant}`,
      token: setup.apiKey,
      baseline: 'bare: tenant',
    },
    {
      name: 'api: members (member token)',
      pid: setup.pids.api,
      url: `${setup.api}${tenant}/members`,
      token: setup.memberToken,
      baseline: 'bare: members',
    },
    {
      name: 'api: members (API key)',
      pid: setup.pids.api,
      url: `${setup.api}${tenant}/members`,
      token: setup.apiKey,
      baseline: 'bare: members',
    },
    {
      name: 'api: /me (member token)',
      pid: setup.pids.api,
      url: `${setup.api}/api/v1/me`,
      token: setup.memberToken,
      baseline: 'bare: members',
    },
    { name: 'api: /healthz', pid: setup.pids.api, url: `${setup.api}/healthz`, baseline: 'bare: members' },
  ];
  const only = args.only?.split(',').map((name) => name.trim());
  const selected = only ? targets.filter((t) => only.includes(t.name) || !t.baseline) : targets;

  const saturation = new Map<string, LoadFigures>();
  const fixed = new Map<string, LoadFigures>();
  for (const target of selected) {
    process.stderr.write(`[bench reads] ${target.name}: warm-up, ${CONNECTIONS} connections, ${RATE}/s...`);
    await load(target, { seconds: WARMUP_S });
    saturation.set(target.name, await load(target, { seconds: DURATION_S }));
    fixed.set(target.name, await load(target, { seconds: DURATION_S, rate: RATE }));
    process.stderr.write(' done\n');
  }

  const rows = [
    ['endpoint', 'requests/s', 'ratio', 'p50', 'p95', 'p99', `p95 at ${RATE}/s`, 'ratio', 'CPU/request', 'ratio'],
  ];
  for (const target of selected) {
    const s = saturation.get(target.name)!;
    const f = fixed.get(target.name)!;
    const base = target.baseline ? saturation.get(target.baseline) : undefined;
    const fixedBase = target.baseline ? fixed.get(target.baseline) : undefined;
    rows.push([
      target.name,
      s.requestsPerSecond.toFixed(0),
      base ? ratio(s.requestsPerSecond, base.requestsPerSecond) : 'baseline',
      ms(s.p50),
      ms(s.p95),
      ms(s.p99),
      ms(f.p95),
      fixedBase ? ratio(f.p95, fixedBase.p95) : 'baseline',
      ms(s.cpuMsPerRequest, 2),
      base ? ratio(s.cpuMsPerRequest, base.cpuMsPerRequest) : 'baseline',
    ]);
  }
  console.log(
    `\nTenant-scoped reads, ${CONNECTIONS} connections, ${DURATION_S} s per run after ${WARMUP_S} s of warm-up; ` +
      `${MEMBERS} members; ${args.otlp ? `API tracing on (sample ratio ${args['sample-ratio']}); ` : ''}${machineLine()}\n` +
      `ratio: requests/s over the bare endpoint's (goal ≥ 0.6 for tenant reads); ` +
      `p95 at ${RATE}/s over the bare endpoint's (goal ≤ 2); CPU/request: the answering server ` +
      `process's CPU time per request at saturation (steadier than requests/s on a busy machine)\n`,
  );
  console.log(table(rows));
  writeResults(
    'reads',
    {
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      rate: RATE,
      members: MEMBERS,
      tracing: args.otlp ? { sampleRatio: Number(args['sample-ratio']) } : null,
    },
    selected.map((t) => ({
      name: t.name,
      baseline: t.baseline ?? null,
      saturation: saturation.get(t.name),
      fixedRate: fixed.get(t.name),
    })),
  );
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUpTo(0);
}
process.exit(exitCode);

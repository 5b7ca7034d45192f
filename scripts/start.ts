// `npm start`: the whole platform on embedded defaults, for a laptop or a demo.
// Starts (unless configured to use existing ones) the Temporal dev server and an embedded
// PostgreSQL, applies migrations, seeds the platform admin, builds the portal if needed,
// then runs the worker and the API + portal as child processes, and says the platform is
// running once the API is ready and the worker polls its task queues. Ctrl-C stops it all.
// `npm start -- --tracing` also starts Jaeger (scripts/servers.sh) and turns tracing on in
// both processes; OTEL_EXPORTER_OTLP_ENDPOINT alone sends traces to a collector of one's own.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import { ConfigError, parseEnv, port, postgresUrl } from '../config/env.ts';
import type { MetricsAddress } from '../config/metrics.ts';
import { apiMetricsAddress, metricsSettings, workerMetricsAddress } from '../config/metrics.ts';
import { traceQuerySettings, tracingSettings } from '../config/tracing.ts';
import { createDataSource } from '../db/data-source.ts';
import type { EmbeddedPostgresServer } from '../db/embedded-postgres.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { runMigrations } from '../db/run-migrations.ts';
import { ensureRuntimeLogin } from '../db/runtime-role.ts';
import { seedPlatformAdmin } from '../db/seed-admin.ts';
import type { TemporalDevServer } from './temporal-dev-server.ts';
import { startTemporalDevServer } from './temporal-dev-server.ts';
import type { StartedWorker } from './worker-polling.ts';
import { parseWorkerStarted, waitForWorkerPolling } from './worker-polling.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const StartEnv = z.object({
  ATRIUM_DATA_DIR: z.string().default('.data'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  EMBEDDED_POSTGRES_PORT: port.default(54329),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.url().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  PORTAL_MODE: z.enum(['production', 'development', 'off']).default('production'),
  ATRIUM_ADMIN_EMAIL: z.email().default('admin@atrium.local'),
  ATRIUM_ADMIN_PASSWORD: z.string().min(12, 'use at least 12 characters').optional(),
  JWT_PRIVATE_KEY: z.string().optional(),
  TEMPORAL_OPERATOR_TOKEN_KEY: z.string().optional(),
  SESSION_SECRET: z.string().optional(),
  SECRET_STORE_KEY_FILE: z.string().optional(),
  LICENSE_SIGNING_KEY_FILE: z.string().optional(),
  PUBLIC_URL: z.url().optional(),
  // Passed on unchanged; read here for the banner only.
  ...metricsSettings,
  // Passed on unchanged; with --tracing and no endpoint, Jaeger is started and both are set.
  ...tracingSettings,
  ...traceQuerySettings,
});

/** npm swallows bare flags, hence `npm start -- --tracing`. */
const withTracing = process.argv.slice(2).includes('--tracing');

let config: z.output<typeof StartEnv>;
try {
  config = parseEnv(StartEnv, process.env);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const dataDir = resolve(ROOT, config.ATRIUM_DATA_DIR);
mkdirSync(dataDir, { recursive: true });
const say = (message: string): void => console.log(`[atrium] ${message}`);
/** The login role the worker and API use with the embedded PostgreSQL. */
const EMBEDDED_RUNTIME_ROLE = 'atrium_runtime';

const children: ChildProcess[] = [];
let temporal: TemporalDevServer | null = null;
let jaegerStarted = false;
let postgres: EmbeddedPostgresServer | null = null;
let stopping = false;

async function stopAll(exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('Stopping...');
    await Promise.all(children.map((child) => stopChild(child)));
    await postgres?.stop().catch((error: unknown) => console.error('[atrium] postgres did not stop cleanly', error));
    await temporal?.stop();
    if (jaegerStarted) servers('stop', 'jaeger');
    say('Stopped.');
  }
  process.exit(exitCode);
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

try {
  // 1. Temporal
  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUiUrl = config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
  if (!temporalAddress) {
    say(`Starting the Temporal dev server on ${config.TEMPORAL_PORT} (UI ${config.TEMPORAL_UI_PORT})...`);
    temporal = await startTemporalDevServer({
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      dbFile: join(dataDir, 'temporal', 'dev.sqlite'),
    });
    temporalAddress = temporal.address;
    temporalUiUrl = temporal.uiUrl;
  }

  // 2. PostgreSQL: migrations run as the owner, the worker and API as a runtime role
  //    that row-level security applies to.
  let databaseUrl = config.DATABASE_URL;
  let ownerUrl = config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL;
  if (!databaseUrl) {
    say(
      `Starting the embedded PostgreSQL on ${config.EMBEDDED_POSTGRES_PORT} (data in ${join(config.ATRIUM_DATA_DIR, 'postgres')})...`,
    );
    postgres = await startEmbeddedPostgres(dataDir, config.EMBEDDED_POSTGRES_PORT);
    ownerUrl = postgres.url;
  }

  // 3. Schema, the runtime role and the platform admin
  const dataSource = createDataSource({ url: ownerUrl as string, applicationName: 'atrium-start', poolSize: 1 });
  const applied = await runMigrations(dataSource, { keepOpen: true });
  say(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date.');
  if (!databaseUrl) {
    const password = storedSecret('postgres-runtime-password', 18);
    await ensureRuntimeLogin(dataSource, EMBEDDED_RUNTIME_ROLE, password);
    const url = new URL(ownerUrl as string);
    url.username = EMBEDDED_RUNTIME_ROLE;
    url.password = password;
    databaseUrl = url.toString();
  }
  const adminPassword = config.ATRIUM_ADMIN_PASSWORD ?? storedSecret('admin-password', 12);
  const created = await seedPlatformAdmin(dataSource, {
    email: config.ATRIUM_ADMIN_EMAIL,
    displayName: 'Platform admin',
    password: adminPassword,
  });
  await dataSource.destroy();

  // 4. The portal's production build
  if (config.PORTAL_MODE === 'production' && !existsSync(join(ROOT, 'web/build/server/index.js'))) {
    say('Building the portal (first start only)...');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/.bin/react-router'), 'build', 'web'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }

  // 5. Tracing: a collector given, or Jaeger started here (--tracing), or off.
  const tracing: Record<string, string> = {};
  if (withTracing && !config.OTEL_EXPORTER_OTLP_ENDPOINT) {
    say('Starting Jaeger for --tracing (built from Go modules on first use; that takes a while)...');
    servers('start', 'jaeger');
    jaegerStarted = true;
    const printed = servers('env', 'jaeger');
    const value = (name: string) => new RegExp(`^export ${name}=(\\S+)$`, 'm').exec(printed)?.[1];
    tracing.OTEL_EXPORTER_OTLP_ENDPOINT = value('OTEL_EXPORTER_OTLP_ENDPOINT') ?? '';
    tracing.TRACES_QUERY_URL = value('JAEGER_QUERY_URL') ?? '';
  }
  const traceEndpoint = tracing.OTEL_EXPORTER_OTLP_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT;
  const traceQuery = tracing.TRACES_QUERY_URL ?? config.TRACES_QUERY_URL;

  // 6. Worker and API
  const env = {
    ...process.env,
    ...tracing,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: temporalUiUrl,
    HOST: config.HOST,
    PORT: String(config.PORT),
    PORTAL_MODE: config.PORTAL_MODE,
    JWT_PRIVATE_KEY: config.JWT_PRIVATE_KEY ?? storedSigningKey(),
    TEMPORAL_OPERATOR_TOKEN_KEY: config.TEMPORAL_OPERATOR_TOKEN_KEY ?? storedOperatorTokenKey(),
    // Signs the portal's session cookie; kept in the data dir so sessions survive restarts.
    SESSION_SECRET: config.SESSION_SECRET ?? storedSecret('session-secret', 48),
    // The local secret store's key, next to the rest of the local state (unless Vault is used).
    SECRET_STORE_KEY_FILE: config.SECRET_STORE_KEY_FILE ?? join(dataDir, 'secret-store.key'),
    // Seeds the license keyring in the secret store once when the file exists (docs/decisions/0038).
    LICENSE_SIGNING_KEY_FILE: config.LICENSE_SIGNING_KEY_FILE ?? join(dataDir, 'license-ed25519.pem'),
    // Links in account mails point at the portal this start serves.
    PUBLIC_URL: config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`,
  };
  let reportStarted: (worker: StartedWorker) => void = () => {};
  const workerStarted = new Promise<StartedWorker>((resolve) => (reportStarted = resolve));
  children.push(
    runChild('worker/main.ts', env, (line) => {
      const worker = parseWorkerStarted(line);
      if (worker) reportStarted(worker);
    }),
    runChild('api/main.ts', env),
  );
  const baseUrl = `http://${config.HOST}:${config.PORT}`;
  await waitForReady(`${baseUrl}/readyz`);
  // /readyz is about the API process; the platform runs once the worker polls its queues too.
  say('Waiting for the worker to poll its task queues...');
  await waitForWorker(workerStarted, temporalAddress);

  console.log(`
  Atrium is running.
    Portal         ${baseUrl}/
    API            ${baseUrl}/api/v1  (OpenAPI: ${baseUrl}/api/v1/openapi.json)
    Readiness      ${baseUrl}/readyz
    Metrics        ${metricsLine()}
    Traces         ${traceEndpoint ? `OTLP to ${traceEndpoint}${traceQuery ? `; waterfalls on operation pages from ${traceQuery}` : ''}` : 'off (npm start -- --tracing)'}
    Temporal UI    ${baseUrl}/ops/temporal/  (operators only; the UI server itself: ${temporalUiUrl}, loopback)
    Temporal gRPC  ${temporalAddress}
    Platform admin ${config.ATRIUM_ADMIN_EMAIL}${created ? ` / ${adminPassword}  (created now; also in ${join(config.ATRIUM_DATA_DIR, 'admin-password')})` : ' (existing account)'}
  Press Ctrl-C to stop.
`);
} catch (error) {
  console.error('[atrium] Start failed:', error instanceof Error ? error.message : error);
  await stopAll(1);
}

/** Runs scripts/servers.sh with its state under the data dir; returns what it printed. */
function servers(command: 'start' | 'stop' | 'env', name: string): string {
  return execFileSync('bash', [join(ROOT, 'scripts/servers.sh'), command, name], {
    cwd: ROOT,
    env: { ...process.env, ATRIUM_SERVERS_STATE: join(dataDir, 'servers') },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Where Prometheus scrapes the API and the worker (config/metrics.ts), for the banner. */
function metricsLine(): string {
  const show = (address: MetricsAddress) =>
    address === null
      ? 'off'
      : address.port === 0
        ? 'a free port (in its log)'
        : `http://${address.host}:${address.port}/metrics`;
  return `API ${show(apiMetricsAddress(config))}, worker ${show(workerMetricsAddress(config))}`;
}

/** Runs an entry point; with `onLine`, its standard output passes through line by line to it. */
function runChild(entry: string, env: NodeJS.ProcessEnv, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['inherit', onLine ? 'pipe' : 'inherit', 'inherit'],
  });
  if (onLine && child.stdout)
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      console.log(line);
      onLine(line);
    });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[atrium] ${entry} exited (${signal ?? code}); stopping everything.`);
    void stopAll(1);
  });
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** The Ed25519 key access tokens are signed with, generated once into the data dir. */
function storedSigningKey(): string {
  const file = join(dataDir, 'jwt-ed25519.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8');
}

/** The P-256 key operator tokens for Temporal are signed with (ES256), kept so they verify after a restart. */
function storedOperatorTokenKey(): string {
  const file = join(dataDir, 'temporal-operator-es256.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8');
}

/** A generated password, kept in the data dir so it survives restarts. */
function storedSecret(name: string, bytes: number): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(bytes).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Waits for the worker's "Worker started", then for Temporal to see it poll each of its queues. */
async function waitForWorker(started: Promise<StartedWorker>, temporalAddress: string, timeoutMs = 120_000) {
  const timedOut = sleep(timeoutMs, null, { ref: false });
  const worker = await Promise.race([started, timedOut]);
  if (!worker)
    throw new Error(`The worker did not log "Worker started" within ${timeoutMs / 1000}s (see its log above).`);
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    await waitForWorkerPolling(connection, worker);
  } finally {
    await connection.close();
  }
}

async function waitForReady(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(300);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000}s`);
}

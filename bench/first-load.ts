// `npm run bench -- first-load`: what a cold load of the portal transfers, with response
// compression on (the default) and off (RESPONSE_COMPRESSION=off), in the same run: the
// JavaScript and CSS (as transferred: compressed bytes when compressed) and the document of
// the sign-in page and of a tenant page (its members), in Chromium, against their budgets
// (web/route-budgets.json).
//
// It builds the portal (unless --no-build), starts a Temporal dev server on free ports, a
// fresh migrated database on ATRIUM_BENCH_POSTGRES_URL, a worker and two API processes with
// the portal (compression on and off) on that one database, provisions one tenant, and
// stops and removes all of it at the end, also on Ctrl-C. The browser is found as `npm test`
// finds it (ATRIUM_CHROMIUM, PATH, Playwright's cache; scripts/find-browser.ts); the bench
// installs none.
//
//   npm run bench -- first-load
//   npm run bench -- first-load --no-build
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { findBrowser } from '../scripts/find-browser.ts';
import { freePort } from '../scripts/free-port.ts';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.ts';
import { readTestRunnerConfig } from '../scripts/test-config.ts';
import { CHROMIUM_ARGS } from '../tests/support/chromium-args.ts';
import type { ColdLoad } from '../tests/support/first-load.ts';
import { firstLoadBytes, measureColdLoad, signedInState } from '../tests/support/first-load.ts';
import { ENTRY_POINTS, startNodeProcess } from '../tests/support/processes.ts';
import { readBudgets } from '../web/vite/route-sizes.ts';
import { cleanUpTo, onCleanup } from './support/cleanups.ts';
import { createBenchDatabase, seedUser } from './support/database.ts';
import { table as formatTable } from './support/figures.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values: args } = parseArgs({
  options: { build: { type: 'boolean', default: true }, help: { type: 'boolean', default: false } },
  allowNegative: true,
});
if (args.help) {
  console.log(
    'usage: npm run bench -- first-load [--no-build]\n' +
      'Env: ATRIUM_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres), a superuser; ATRIUM_CHROMIUM.',
  );
  process.exit(0);
}
const ADMIN = { email: 'bench@platform.test', password: randomBytes(12).toString('base64url') };

/** Creates a tenant through the API and waits until its provisioning ended. */
async function provisionTenant(baseUrl: string, token: string): Promise<string> {
  const slug = `bench-${randomBytes(3).toString('hex')}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const response = await fetch(new URL('/api/v1/tenants', baseUrl), {
    method: 'POST',
    headers,
    body: JSON.stringify({ slug, name: 'Bench Tenant', plan: 'team', ownerEmail: `owner@${slug}.test` }),
  });
  const body = (await response.json()) as { operation?: { id: string } };
  if (response.status !== 202 || !body.operation) throw new Error(`POST /api/v1/tenants answered ${response.status}`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const operation = (await (
      await fetch(new URL(`/api/v1/operations/${encodeURIComponent(body.operation.id)}`, baseUrl), { headers })
    ).json()) as { status: string };
    if (operation.status === 'completed') return slug;
    if (operation.status !== 'running') throw new Error(`provisioning ${slug} ended ${operation.status}`);
    if (Date.now() > deadline) throw new Error(`provisioning ${slug} still running after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const kb = (bytes: number) => (bytes / 1000).toFixed(1);

let exitCode = 0;
try {
  const browserPlaces = readTestRunnerConfig(process.env, ROOT).browser;
  const found = findBrowser(browserPlaces);
  if (!found)
    throw new Error(
      'No Chromium found (ATRIUM_CHROMIUM, chromium on PATH, Playwright cache). `npm test -- tests/e2e` installs one, or set ATRIUM_CHROMIUM.',
    );
  if (args.build) {
    process.stderr.write('[bench] building the portal (npm run build)\n');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/.bin/react-router'), 'build', 'web'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const budgets = readBudgets();

  process.stderr.write('[bench] starting Temporal, a database, a worker and two API processes\n');
  const temporal = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  onCleanup(() => temporal.stop());
  const database = await createBenchDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-bench-'));
  onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
  const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const admin = await seedUser(database, jwtKey, { ...ADMIN, platformAdmin: true, emailVerified: true });
  const common = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `atrium-bench-${randomBytes(4).toString('hex')}`,
    SECRET_STORE_KEY_FILE: join(dataDir, 'secret-store.key'),
  };
  const worker = await startNodeProcess(ENTRY_POINTS.worker, {
    env: { ...common, LICENSE_SIGNING_KEY_FILE: join(dataDir, 'license.pem') },
    readyWhen: /"Worker started"/,
    // Bundling the workflows takes a while on a busy machine.
    timeoutMs: 180_000,
  });
  onCleanup(() => worker.stop());
  const sessionSecret = randomBytes(32).toString('base64url');
  const startApi = async (compression: 'on' | 'off') => {
    const api = await startNodeProcess(ENTRY_POINTS.api, {
      env: {
        ...common,
        PORT: '0',
        PORTAL_MODE: 'production',
        RESPONSE_COMPRESSION: compression,
        JWT_PRIVATE_KEY: jwtKey,
        SESSION_SECRET: sessionSecret,
      },
      readyWhen: /"url":"(http:\/\/[^"]+)"/,
      timeoutMs: 120_000,
    });
    onCleanup(() => api.stop());
    return api.ready[1] as string;
  };
  const apis = { on: await startApi('on'), off: await startApi('off') };

  const slug = await provisionTenant(apis.on, admin.token);

  const browser = await chromium.launch({ executablePath: found.executable, args: CHROMIUM_ARGS });
  onCleanup(() => browser.close());
  const pages = [
    { label: 'sign-in', path: '/login', route: 'routes/auth/login', signedIn: false },
    { label: 'tenant (members)', path: `/tenants/${slug}/members`, route: 'routes/tenants/members', signedIn: true },
  ];
  const rows: Array<{ page: string; compression: string; load: ColdLoad; budgetKb: number }> = [];
  for (const page of pages) {
    for (const compression of ['on', 'off'] as const) {
      process.stderr.write(`[bench] ${page.label}, compression ${compression}\n`);
      const baseUrl = apis[compression];
      const session = page.signedIn ? await signedInState(browser, baseUrl, ADMIN.email, ADMIN.password) : undefined;
      const load = await measureColdLoad(browser, baseUrl, page.path, session);
      rows.push({ page: page.label, compression, load, budgetKb: budgets.routes[page.route] ?? budgets.default });
    }
  }

  const table = [
    ['page', 'compression', 'scripts', 'stylesheets', 'JS kB', 'CSS kB', 'JS + CSS kB', 'budget kB', 'document kB'],
    ...rows.map(({ page, compression, load, budgetKb }) => [
      page,
      compression,
      String(load.scripts.files),
      String(load.styles.files),
      kb(load.scripts.bytes),
      kb(load.styles.bytes),
      kb(firstLoadBytes(load)),
      compression === 'on' ? `${budgetKb}${firstLoadBytes(load) > budgetKb * 1000 ? ' OVER' : ''}` : '',
      `${kb(load.document.bytes)}${load.document.encoding ? ` (${load.document.encoding})` : ''}`,
    ]),
  ];
  console.log(
    `\nCold loads in ${found.executable} (${found.source}); bytes as transferred (response bodies), 1 kB = 1000 bytes\n`,
  );
  console.log(formatTable(table, 2));
  const over = rows.filter((row) => row.compression === 'on' && firstLoadBytes(row.load) > row.budgetKb * 1000);
  if (over.length > 0) {
    console.error(`\nOver budget: ${over.map((row) => row.page).join(', ')}`);
    exitCode = 1;
  }
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUpTo(0);
}
process.exit(exitCode);

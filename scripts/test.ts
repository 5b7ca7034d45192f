// `npm test`: starts what the tests share (a Temporal dev server on free ports, in
// memory, and the real servers that the selected files ask for with `@needs-servers`),
// checks PostgreSQL, builds the portal, then runs every tests/**/*.test.ts with Node's
// test runner. Each test file makes its own database and task queue.
//   npm test                       every test
//   npm test -- tests/unit         only the files under the given paths
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from './free-port.ts';
import type { TemporalDevServer } from './temporal-dev-server.ts';
import { startTemporalDevServer } from './temporal-dev-server.ts';
import type { TestServers } from './test-servers.ts';
import { serversNeededBy, startTestServers } from './test-servers.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const POSTGRES_URL = process.env.ATRIUM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function findTests(paths: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) walk(join(path, entry));
    } else if (path.endsWith('.test.ts')) {
      files.push(relative(ROOT, path));
    }
  };
  for (const path of paths) walk(join(ROOT, path));
  return files;
}

async function checkPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}. Start it or set ATRIUM_TEST_POSTGRES_URL.`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => {});
  }
}

const files = findTests(process.argv.length > 2 ? process.argv.slice(2) : ['tests']);
await checkPostgres();
if (files.some((file) => file.startsWith('tests/e2e/')) && !process.env.ATRIUM_SKIP_BUILD) {
  console.log('Building the portal for the browser tests...');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/.bin/react-router'), 'build', 'web'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

/**
 * A port that was free a moment ago may be taken by the time the server binds it (another
 * process, or the same port handed out twice): try again with new ones.
 */
async function startTemporalDevServerOnFreePorts(attempts = 3): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
    } catch (error) {
      if (attempt >= attempts) throw error;
      console.log(`Temporal dev server did not start (${String(error)}); trying other ports`);
    }
  }
}

const neededServers = serversNeededBy(files, ROOT);
let servers: TestServers | undefined;
if (neededServers.length > 0) {
  console.log(`Starting the real servers these tests need: ${neededServers.join(', ')}`);
  servers = startTestServers(neededServers);
  // Ctrl-C must not leave the servers running (they live outside this process group).
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      servers?.stop();
      process.exit(130);
    });
}

let temporal: TemporalDevServer | undefined;
let exitCode: number;
try {
  temporal = await startTemporalDevServerOnFreePorts();
  console.log(`Temporal dev server ready at ${temporal.address} (UI ${temporal.uiUrl})`);
  const runner = spawn(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', ...files],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: {
        ...process.env,
        ATRIUM_TEST_TEMPORAL_ADDRESS: temporal.address,
        ATRIUM_TEST_TEMPORAL_UI_URL: temporal.uiUrl,
        ATRIUM_TEST_TEMPORAL_CLI: temporal.cliPath,
        ATRIUM_TEST_POSTGRES_URL: POSTGRES_URL,
        ...servers?.env,
      },
    },
  );
  exitCode = await new Promise<number>((resolve) => runner.once('exit', (code) => resolve(code ?? 1)));
} finally {
  await temporal?.stop();
  servers?.stop();
}
process.exit(exitCode);

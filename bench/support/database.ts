// A fresh, migrated database per benchmark run (like the tests'), as the superuser at
// ATRIUM_BENCH_POSTGRES_URL, with the runtime login the API and worker use (no BYPASSRLS).
// The cleanup drops it with the tenant roles provisioning made in it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createAccessTokens } from '../../api/auth/access-tokens.ts';
import { createDataSource } from '../../db/data-source.ts';
import { createUserIfAbsent } from '../../db/repositories/users.ts';
import { runMigrations } from '../../db/run-migrations.ts';
import { dropDatabaseWithTenantRoles } from '../../db/drop-database.ts';
import { ensureRuntimeLogin } from '../../db/runtime-role.ts';
import { onCleanup } from './cleanups.ts';

export const POSTGRES_URL = process.env.ATRIUM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUNTIME_ROLE = 'atrium_runtime';

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  /** As the runtime role, for the API, the worker and bare endpoints. */
  url: string;
  /** As the superuser, for seeding. */
  ownerUrl: string;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `atrium_bench_${randomBytes(5).toString('hex')}`;
  await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  onCleanup(() => withClient(POSTGRES_URL, (client) => dropDatabaseWithTenantRoles(client, name)));
  const owner = new URL(POSTGRES_URL);
  owner.pathname = `/${name}`;
  const dataSource = createDataSource({ url: owner.toString(), applicationName: 'atrium-bench', poolSize: 1 });
  await runMigrations(dataSource, { keepOpen: true });
  await ensureRuntimeLogin(dataSource, RUNTIME_ROLE);
  await dataSource.destroy();
  const runtime = new URL(owner);
  runtime.username = RUNTIME_ROLE;
  runtime.password = '';
  return { url: runtime.toString(), ownerUrl: owner.toString() };
}

/** A user in the database (created unless the email exists) and an access token for it (signed with jwtKey). */
export async function seedUser(
  database: BenchDatabase,
  jwtKey: string,
  user: { email: string; platformAdmin: boolean; password?: string; emailVerified?: boolean },
): Promise<{ userId: string; token: string }> {
  const dataSource = createDataSource({ url: database.ownerUrl, applicationName: 'atrium-bench', poolSize: 1 });
  await dataSource.initialize();
  let userId: string;
  try {
    await createUserIfAbsent(dataSource, {
      email: user.email,
      displayName: user.email.split('@')[0]!,
      password: user.password ?? randomBytes(16).toString('base64url'),
      isPlatformAdmin: user.platformAdmin,
    });
    const [row] = await dataSource.query<Array<{ id: string }>>(`SELECT id FROM users WHERE lower(email) = lower($1)`, [
      user.email,
    ]);
    userId = row!.id;
    if (user.emailVerified)
      await dataSource.query(`UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1`, [
        userId,
      ]);
  } finally {
    await dataSource.destroy();
  }
  const tokens = await createAccessTokens({
    privateKeyPem: jwtKey,
    issuer: 'atrium',
    audience: 'atrium-api',
    ttlMs: 3_600_000,
  });
  return { userId, token: await tokens.sign({ userId, platformAdmin: user.platformAdmin }) };
}

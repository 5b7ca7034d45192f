// `npm run migrate`: applies pending migrations and says which ran. Runs as the owner
// role (DATABASE_MIGRATION_URL), falling back to DATABASE_URL.
import { z } from 'zod';
import { ConfigError, parseEnv, postgresUrl } from '../config/env.ts';
import { createDataSource } from './data-source.ts';
import { runMigrations } from './run-migrations.ts';

const MigrateConfig = z
  .object({ DATABASE_MIGRATION_URL: postgresUrl.optional(), DATABASE_URL: postgresUrl.optional() })
  .refine((env) => env.DATABASE_MIGRATION_URL ?? env.DATABASE_URL, 'set DATABASE_MIGRATION_URL (or DATABASE_URL)');

try {
  const config = parseEnv(MigrateConfig, process.env);
  const url = (config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL) as string;
  const dataSource = createDataSource({ url, applicationName: 'atrium-migrate', poolSize: 1 });
  const applied = await runMigrations(dataSource);
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}

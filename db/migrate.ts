// `npm run migrate`: applies pending migrations to DATABASE_URL and says which ran.
import { z } from 'zod';
import { ConfigError, parseEnv, postgresUrl } from '../config/env.ts';
import { createDataSource } from './data-source.ts';
import { runMigrations } from './run-migrations.ts';

const MigrateConfig = z.object({ DATABASE_URL: postgresUrl });

try {
  const config = parseEnv(MigrateConfig, process.env);
  const dataSource = createDataSource({ url: config.DATABASE_URL, applicationName: 'atrium-migrate', poolSize: 1 });
  const applied = await runMigrations(dataSource);
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}

// `npm run audit:verify`: recomputes the audit log's hash chains and lists every entry
// that was edited, or whose predecessor was removed. Exits 1 when it finds any.
import { z } from 'zod';
import { ConfigError, parseEnv, postgresUrl } from '../config/env.ts';
import { createDataSource } from './data-source.ts';
import { verifyAuditChain } from './repositories/audit-log.ts';
import { withPlatformScope } from './scope.ts';

const VerifyConfig = z
  .object({ DATABASE_MIGRATION_URL: postgresUrl.optional(), DATABASE_URL: postgresUrl.optional() })
  .refine((env) => env.DATABASE_MIGRATION_URL ?? env.DATABASE_URL, 'set DATABASE_MIGRATION_URL (or DATABASE_URL)');

try {
  const config = parseEnv(VerifyConfig, process.env);
  const url = (config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL) as string;
  const dataSource = createDataSource({ url, applicationName: 'atrium-audit-verify', poolSize: 1 });
  await dataSource.initialize();
  try {
    const { problems, entries } = await withPlatformScope(dataSource, async (db) => {
      const [count] = await db.query<Array<{ entries: number }>>(`SELECT count(*)::int AS entries FROM audit_log`);
      return { problems: await verifyAuditChain(db), entries: count?.entries ?? 0 };
    });
    if (problems.length === 0) {
      console.log(`Audit log intact: ${entries} entries verified.`);
    } else {
      console.error(`Audit log TAMPERED: ${problems.length} problem(s) in ${entries} entries:`);
      for (const { id, tenantId, problem } of problems) {
        console.error(`  entry ${id} (tenant ${tenantId ?? 'platform'}): ${problem}`);
      }
      process.exitCode = 1;
    }
  } finally {
    await dataSource.destroy();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}

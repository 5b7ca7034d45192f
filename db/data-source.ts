// The TypeORM data source. Schema changes happen only through the migrations listed in
// db/migrations/index.ts (synchronize is off); entities are plain EntitySchema objects so
// the code runs under Node's type stripping without decorator metadata.
import { DataSource } from 'typeorm';
import { entities } from './entities/index.ts';
import { migrations } from './migrations/index.ts';

export interface DataSourceOptions {
  url: string;
  /** Shown in pg_stat_activity; tells operators which process holds a connection. */
  applicationName: string;
  poolSize?: number;
}

export function createDataSource({ url, applicationName, poolSize = 10 }: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    applicationName,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: poolSize },
  });
}

/** The pool's connections (pg's counters), or null before initialize / after destroy. */
export function poolStats(
  dataSource: DataSource,
): { totalCount: number; idleCount: number; waitingCount: number } | null {
  if (!dataSource.isInitialized) return null;
  const pool = (dataSource.driver as { master?: { totalCount: number; idleCount: number; waitingCount: number } })
    .master;
  return pool ? { totalCount: pool.totalCount, idleCount: pool.idleCount, waitingCount: pool.waitingCount } : null;
}

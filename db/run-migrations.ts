import type { DataSource } from 'typeorm';

/** Initializes `dataSource` if needed, applies pending migrations, returns their names. */
export async function runMigrations(dataSource: DataSource, { keepOpen = false } = {}): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    if (!keepOpen) await dataSource.destroy();
  }
}

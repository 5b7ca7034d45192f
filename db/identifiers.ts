/** Quotes a Postgres identifier (schema, role, table name). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

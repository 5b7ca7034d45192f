/** The tenant's own Postgres schema. Slugs are `[a-z0-9-]`, so the result is a safe identifier. */
export function tenantSchemaName(slug: string): string {
  return `tenant_${slug.replaceAll('-', '_')}`;
}

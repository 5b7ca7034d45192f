// The providers a tenant can connect, as the API reads them: the catalog (checked when the API
// boots) with whether a platform admin set its client, plus the tenant's own providers, and what
// the tenant's plan allows of them.
import type { EntityManager } from 'typeorm';
import type { ConnectorProvider } from '../../contracts/connectors.ts';
import { listCustomProviders, listProviderClients } from '../../db/repositories/connectors.ts';
import type { CustomProviderRow } from '../../db/repositories/connectors.ts';
import type { CatalogProviderDefinition, ProviderDefinition } from '../../integrations/oauth/provider-definition.ts';
import { ProviderDefinition as ProviderDefinitionSchema } from '../../integrations/oauth/provider-definition.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';

export type ProviderCatalog = ReadonlyMap<string, CatalogProviderDefinition>;

export function planAllows(plan: string, feature: string): boolean {
  return planDefinition(plan).features.includes(feature);
}

function view(
  definition: ProviderDefinition,
  kind: 'catalog' | 'custom',
  plan: string,
  configured: boolean,
): ConnectorProvider {
  return {
    id: definition.id,
    name: definition.name,
    description: definition.description,
    kind,
    feature: definition.feature,
    available: planAllows(plan, definition.feature),
    configured,
    defaultScopes: definition.defaultScopes,
    refresh: definition.refresh,
    revocation: definition.revocation.kind,
    documentationUrl: definition.documentationUrl ?? null,
  };
}

export function customDefinition(row: CustomProviderRow): ProviderDefinition {
  return ProviderDefinitionSchema.parse(row.definition);
}

/** Every provider the tenant sees, the catalog's first. */
export async function providersFor(
  db: EntityManager,
  catalog: ProviderCatalog,
  tenant: { id: string; plan: string },
): Promise<Array<{ view: ConnectorProvider; definition: ProviderDefinition }>> {
  const clients = new Set((await listProviderClients(db)).map((row) => row.provider));
  const fromCatalog = [...catalog.values()].map((definition) => ({
    view: view(definition, 'catalog', tenant.plan, clients.has(definition.id)),
    definition,
  }));
  const custom = (await listCustomProviders(db, tenant.id)).map((row) => {
    const definition = customDefinition(row);
    return { view: view(definition, 'custom', tenant.plan, true), definition };
  });
  return [...fromCatalog, ...custom];
}

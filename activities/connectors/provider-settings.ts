// Which provider a connection talks to and with which client: a catalog entry with the client a
// platform admin set, or a provider the tenant defined with its own client. The secret is read
// from the secret store inside the activity that needs it and goes no further.
import { ApplicationFailure } from '@temporalio/activity';
import type { EntityManager } from 'typeorm';
import { findCustomProvider, findProviderClient } from '../../db/repositories/connectors.ts';
import type { OAuthClientCredentials } from '../../integrations/oauth/client.ts';
import { OAuthProviderError } from '../../integrations/oauth/client.ts';
import type { CatalogProviderDefinition, ProviderDefinition } from '../../integrations/oauth/provider-definition.ts';
import { ProviderDefinition as ProviderDefinitionSchema } from '../../integrations/oauth/provider-definition.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import { CONNECT_FAILURE_TYPES } from '../../workflows/connectors/contract.ts';

export interface ResolvedProvider {
  definition: ProviderDefinition;
  clientId: string;
  secretPath: string;
}

export async function resolveProvider(
  db: EntityManager,
  catalog: ReadonlyMap<string, CatalogProviderDefinition>,
  tenantId: string,
  providerId: string,
): Promise<ResolvedProvider> {
  const fromCatalog = catalog.get(providerId);
  if (fromCatalog) {
    const client = await findProviderClient(db, providerId);
    if (!client)
      throw ApplicationFailure.nonRetryable(
        `${fromCatalog.name} has no client id and secret yet; a platform admin must set them.`,
        CONNECT_FAILURE_TYPES.invalid_client,
      );
    return { definition: fromCatalog, clientId: client.client_id, secretPath: client.secret_path };
  }
  const custom = await findCustomProvider(db, tenantId, providerId);
  if (!custom)
    throw ApplicationFailure.nonRetryable(`The provider "${providerId}" does not exist.`, 'ConnectorProviderMissing');
  return {
    definition: ProviderDefinitionSchema.parse(custom.definition),
    clientId: custom.client_id,
    secretPath: custom.secret_path,
  };
}

export async function clientCredentials(
  secretStore: SecretStore,
  provider: ResolvedProvider,
): Promise<OAuthClientCredentials> {
  const secret = await secretStore.read(provider.secretPath);
  const clientSecret = secret?.data.clientSecret;
  if (!clientSecret)
    throw ApplicationFailure.nonRetryable(
      `The client secret of ${provider.definition.name} is missing from the secret store (${provider.secretPath}); set the provider's client again.`,
      CONNECT_FAILURE_TYPES.invalid_client,
    );
  return { clientId: provider.clientId, clientSecret };
}

/** A provider's refusal fails the step at once with its stable type; an outage is retried. */
export function asProviderFailure(error: unknown): unknown {
  if (!(error instanceof OAuthProviderError) || error.retryable) return error;
  return ApplicationFailure.create({
    message: error.message,
    type: CONNECT_FAILURE_TYPES[error.reason],
    nonRetryable: true,
  });
}

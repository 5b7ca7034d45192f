// The connectors family's activities: connectConnector's, maintainConnection's,
// disconnectConnector's and syncConnection's steps, built
// on one OAuth client (openid-client through the outbound guard) and the provider catalog, which
// is checked here when the worker starts (a wrong entry stops it, naming the field).
import { createOAuthClient } from '../../integrations/oauth/client.ts';
import { loadProviderCatalog } from '../../integrations/oauth/catalog.ts';
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createConnectActivities } from './connect.ts';
import { createDisconnectActivities } from './disconnect.ts';
import { createMaintainActivities } from './maintain.ts';
import { createSyncActivities } from './sync.ts';

export function createConnectorActivities(deps: ActivityDeps) {
  const oauth = createOAuthClient({ fetch: deps.outbound, allowInsecure: deps.connectors.allowInsecureProviders });
  const catalog = loadProviderCatalog();
  return {
    ...createConnectActivities({ deps, oauth, catalog }),
    ...createMaintainActivities({ deps, oauth, catalog }),
    ...createDisconnectActivities({ deps, oauth, catalog }),
    ...createSyncActivities({ deps, catalog }),
  };
}

export type ConnectorActivities = ReturnType<typeof createConnectorActivities>;

export default {
  // Each activity is one or two calls to a provider; a slow provider holds no more than these.
  defaultActivitySlots: 5,
  createActivities: createConnectorActivities,
} satisfies ActivityFamily;

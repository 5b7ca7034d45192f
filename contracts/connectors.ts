// Wire schemas of the connectors API: the provider catalog as a tenant sees it, tenant-defined
// providers, connections and their connect flow, and the platform admins' provider clients.
import { z } from 'zod';
import { TenantPath } from './common.ts';
import { OperationSummary } from './operations.ts';

export const CONNECTION_STATUSES = [
  'pending',
  'active',
  'needs_reauth',
  'failed',
  'expired',
  'disconnecting',
  'disconnected',
] as const;
export const ConnectionStatus = z.enum(CONNECTION_STATUSES);
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

const providerId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'Must be a provider id from the catalog (GET …/connectors/providers).');

export const ConnectorProvider = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(['catalog', 'custom']),
    /** `connectors.basic` or `connectors.premium`: the plan feature it needs. */
    feature: z.string(),
    /** The tenant's plan has the feature. */
    available: z.boolean(),
    /** Its client id and secret are set (by a platform admin, or by the tenant for its own). */
    configured: z.boolean(),
    defaultScopes: z.array(z.string()),
    refresh: z.enum(['none', 'static', 'rotating']),
    revocation: z.enum(['rfc7009', 'custom', 'none']),
    documentationUrl: z.string().nullable(),
  })
  .meta({ id: 'ConnectorProvider' });
export type ConnectorProvider = z.infer<typeof ConnectorProvider>;

export const ConnectorProviderList = z
  .object({
    items: z.array(ConnectorProvider),
    /** The plan's `connectors` limit (null: unlimited) and how many connections count against it. */
    limit: z.int().nullable(),
    used: z.int(),
  })
  .meta({ id: 'ConnectorProviderList' });
export type ConnectorProviderList = z.infer<typeof ConnectorProviderList>;

const endpointUrl = z.url({ protocol: /^https?$/, error: 'Must be an http(s):// URL.' }).max(2048);

/** A tenant's own OAuth 2.0 / OpenID Connect provider. Every URL must pass the outbound-address guard. */
export const CreateCustomProviderRequest = z
  .strictObject({
    name: z.string().trim().min(1, 'Give the provider a name.').max(80),
    /** An OpenID Provider: its endpoints are read from `<issuer>/.well-known/openid-configuration`. */
    issuer: endpointUrl.optional(),
    authorizationEndpoint: endpointUrl.optional(),
    tokenEndpoint: endpointUrl.optional(),
    revocationEndpoint: endpointUrl.optional(),
    /** The "who am I" call (OIDC: the userinfo endpoint when absent). */
    userinfoEndpoint: endpointUrl.optional(),
    apiBaseUrl: endpointUrl.optional(),
    scopes: z.array(z.string().min(1).max(200)).min(1, 'Name at least one scope.').max(50),
    authorizationParams: z.record(z.string().max(100), z.string().max(500)).optional(),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    clientId: z.string().trim().min(1, 'Enter the client id.').max(500),
    clientSecret: z.string().min(1, 'Enter the client secret.').max(2000),
  })
  .meta({ id: 'CreateCustomProviderRequest' });
export type CreateCustomProviderRequest = z.input<typeof CreateCustomProviderRequest>;

export const ConnectorProviderPath = TenantPath.extend({ providerId });

export const CreateConnectionRequest = z
  .strictObject({
    provider: providerId,
    name: z.string().trim().min(1).max(80).optional().meta({ description: "Defaults to the provider's name." }),
    scopes: z.array(z.string().min(1).max(200)).min(1).max(50).optional().meta({
      description: "Defaults to the provider's default scopes.",
    }),
    redirectUri: z.url().optional().meta({
      description: 'If given, must be exactly the redirect URI Atrium registers (GET …/connectors/providers tells it).',
    }),
  })
  .meta({ id: 'CreateConnectionRequest' });
export type CreateConnectionRequest = z.input<typeof CreateConnectionRequest>;

/** What one sync run (or a connection's last one) fetched and did with it. */
export const SyncCounts = z
  .object({ fetched: z.int(), created: z.int(), updated: z.int(), unchanged: z.int() })
  .meta({ id: 'SyncCounts' });
export type SyncCounts = z.infer<typeof SyncCounts>;

export const Connection = z
  .object({
    id: z.uuid(),
    provider: z.string(),
    name: z.string(),
    status: ConnectionStatus,
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    scopes: z.array(z.string()),
    account: z.object({ id: z.string(), name: z.string() }).nullable(),
    tokenExpiresAt: z.string().nullable(),
    /** When maintainConnection last refreshed the tokens (null: not yet). */
    tokensRefreshedAt: z.string().nullable(),
    operationId: z.string().meta({ description: 'The connect workflow (connector-connect/<slug>/<id>).' }),
    /** While pending: where to send the member's browser (null once the callback came). */
    authorizationUrl: z.string().nullable(),
    authorizationExpiresAt: z.string().nullable(),
    createdAt: z.string(),
    connectedAt: z.string().nullable(),
    /** The last sync run of any of its syncs (null: none yet). */
    lastSync: z.object({ at: z.string(), status: z.enum(['succeeded', 'failed']), counts: SyncCounts }).nullable(),
  })
  .meta({ id: 'Connection' });
export type Connection = z.infer<typeof Connection>;

export const ConnectionList = z.object({ items: z.array(Connection) }).meta({ id: 'ConnectionList' });
export type ConnectionList = z.infer<typeof ConnectionList>;

export const ConnectionStarted = z
  .object({ connection: Connection, operation: OperationSummary, redirectUri: z.string() })
  .meta({ id: 'ConnectionStarted' });
export type ConnectionStarted = z.infer<typeof ConnectionStarted>;

export const ConnectionPath = TenantPath.extend({ connectionId: z.uuid('Must be a connection id (UUID).') });

export const DisconnectStarted = z
  .object({ connection: Connection, operation: OperationSummary })
  .meta({ id: 'DisconnectStarted' });
export type DisconnectStarted = z.infer<typeof DisconnectStarted>;

/** What the provider sent to the redirect URI, handed over by the portal's callback page. */
export const ConnectorCallbackRequest = z
  .strictObject({
    state: z.string().min(1, 'The provider sent no state.').max(512),
    code: z.string().min(1).max(4096).optional(),
    error: z.string().max(200).optional(),
    error_description: z.string().max(2000).optional(),
    iss: z.string().max(2048).optional(),
  })
  .refine((body) => body.code !== undefined || body.error !== undefined, {
    path: ['code'],
    message: 'The provider sent neither a code nor an error.',
  })
  .meta({ id: 'ConnectorCallbackRequest' });
export type ConnectorCallbackRequest = z.input<typeof ConnectorCallbackRequest>;

export const ConnectorCallbackAccepted = z
  .object({ tenant: z.string(), connectionId: z.uuid(), outcome: z.enum(['code', 'error']) })
  .meta({ id: 'ConnectorCallbackAccepted' });
export type ConnectorCallbackAccepted = z.infer<typeof ConnectorCallbackAccepted>;

/** Platform admins: a catalog provider's client. The secret goes to the secret store only. */
export const SetProviderClientRequest = z
  .strictObject({
    clientId: z.string().trim().min(1, 'Enter the client id.').max(500),
    clientSecret: z.string().min(1, 'Enter the client secret.').max(2000),
  })
  .meta({ id: 'SetProviderClientRequest' });
export type SetProviderClientRequest = z.input<typeof SetProviderClientRequest>;

export const ProviderClient = z
  .object({
    provider: z.string(),
    name: z.string(),
    configured: z.boolean(),
    clientId: z.string().nullable(),
    updatedAt: z.string().nullable(),
    redirectUri: z.string(),
    documentationUrl: z.string(),
  })
  .meta({ id: 'ProviderClient' });
export type ProviderClient = z.infer<typeof ProviderClient>;

export const ProviderClientList = z.object({ items: z.array(ProviderClient) }).meta({ id: 'ProviderClientList' });
export type ProviderClientList = z.infer<typeof ProviderClientList>;

export const CatalogProviderPath = z.object({ providerId });

// Scheduled syncs of a connection: what to pull (a resource path on the provider's API base
// URL) and how often. Each is a Temporal Schedule `connector-sync/<slug>/<connection>/<sync>`.

export const SyncPath = ConnectionPath.extend({ syncId: z.uuid('Must be a sync id (UUID).') });

export const CreateSyncRequest = z
  .strictObject({
    name: z.string().trim().min(1, 'Give the sync a name.').max(80),
    resourcePath: z
      .string()
      .max(1000)
      .regex(/^\/[^\s#]*$/, "Must be a path on the provider's API, starting with / (e.g. /v1/contacts?limit=100).")
      .refine((path) => !path.split(/[/?]/).includes('..'), 'Must not contain "..".'),
    /** How often it runs, in seconds: at least the platform's minimum (CONNECTOR_SYNC_MIN_INTERVAL). */
    intervalSeconds: z
      .int('Must be a whole number of seconds.')
      .positive('Must be positive.')
      .max(30 * 86_400),
  })
  .meta({ id: 'CreateSyncRequest' });
export type CreateSyncRequest = z.input<typeof CreateSyncRequest>;

export const BackfillSyncRequest = z
  .strictObject({
    start: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time.' }),
    end: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time.' }),
  })
  .refine(({ start, end }) => Date.parse(start) < Date.parse(end), { path: ['end'], message: 'Must be after start.' })
  .meta({ id: 'BackfillSyncRequest' });
export type BackfillSyncRequest = z.input<typeof BackfillSyncRequest>;

export const ConnectionSync = z
  .object({
    id: z.uuid(),
    connectionId: z.uuid(),
    name: z.string(),
    resourcePath: z.string(),
    intervalSeconds: z.int(),
    /** `paused`: a member paused it, or its connection needs re-authorization (see `pauseNote`). */
    schedule: z.enum(['active', 'paused']),
    /** A member paused it (it stays paused when the connection is reconnected). */
    pausedByMember: z.boolean(),
    pauseNote: z.string().nullable(),
    /** When it runs next (null: paused, or the schedule could not be read). */
    nextRunAt: z.string().nullable(),
    scheduleId: z.string().meta({ description: 'The Temporal Schedule (connector-sync/<slug>/<connection>/<sync>).' }),
    lastRun: z
      .object({ at: z.string(), status: z.enum(['succeeded', 'failed']), error: z.string().nullable() })
      .nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ConnectionSync' });
export type ConnectionSync = z.infer<typeof ConnectionSync>;

export const ConnectionSyncList = z.object({ items: z.array(ConnectionSync) }).meta({ id: 'ConnectionSyncList' });
export type ConnectionSyncList = z.infer<typeof ConnectionSyncList>;

export const SyncRun = z
  .object({
    workflowId: z.string(),
    status: z.enum(['running', 'succeeded', 'failed']),
    pages: z.int(),
    counts: SyncCounts,
    error: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'SyncRun' });
export type SyncRun = z.infer<typeof SyncRun>;

export const SyncRunList = z.object({ items: z.array(SyncRun) }).meta({ id: 'SyncRunList' });
export type SyncRunList = z.infer<typeof SyncRunList>;

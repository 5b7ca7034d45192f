// connectConnector's steps. The PKCE verifier, the callback's code and the tokens only ever pass
// between the provider and the secret store inside these activities; what they return (and so
// what the workflow history holds) are paths, scopes, times and the account's name.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { listSyncs } from '../../db/repositories/connector-syncs.ts';
import {
  closeAuthorization,
  findAuthorization,
  findConnection,
  putAuthorization,
  updateConnection,
} from '../../db/repositories/connectors.ts';
import type { OAuthClient } from '../../integrations/oauth/client.ts';
import { stateHash } from '../../integrations/oauth/state.ts';
import type { CatalogProviderDefinition } from '../../integrations/oauth/provider-definition.ts';
import { connectionSecretPaths } from '../../workflows/connectors/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { resumeSyncSchedules } from './sync-schedules.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';
import { asProviderFailure, clientCredentials, resolveProvider } from './provider-settings.ts';

export interface ConnectDeps {
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'temporal'>;
  oauth: OAuthClient;
  catalog: ReadonlyMap<string, CatalogProviderDefinition>;
}

interface ConnectionInput {
  tenantId: string;
  slug: string;
  connectionId: string;
  actor?: AuditActor;
}

export function createConnectActivities({ deps, oauth, catalog }: ConnectDeps) {
  const { secretStore } = deps;

  const providerOf = (input: { tenantId: string; connectionId: string }, providerId: string) =>
    lockedTenantStep(deps, input, async ({ db }) => {
      const connection = await findConnection(db, input.tenantId, input.connectionId);
      // Retried, not refused: the API starts the workflow inside the transaction that records the
      // connection, so the first attempt may run a moment before that commits.
      if (!connection) throw new Error(`Connection ${input.connectionId} is not recorded (yet).`);
      return resolveProvider(db, catalog, input.tenantId, providerId);
    });

  return {
    /**
     * Draws the PKCE verifier and the state, keeps the verifier (and the state) in the secret
     * store and the state's hash, its expiry and who may complete it in PostgreSQL, and builds
     * the authorization URL. Retry-safe: an unused authorization of the same workflow whose
     * verifier is stored is reused (the same URL is built again); anything else is replaced
     * (one pending authorization per connection).
     */
    async beginAuthorization(
      input: ConnectionInput & {
        providerId: string;
        scopes: string[];
        redirectUri: string;
        userId: string;
        workflowId: string;
        /** ms since the epoch, from the workflow's clock. */
        expiresAt: number;
      },
    ): Promise<{ authorizationUrl: string; providerName: string }> {
      const provider = await providerOf(input, input.providerId);
      return tenantStep(deps, input, async (step) => {
        const paths = connectionSecretPaths(input.slug, input.connectionId);
        const stored = await secretStore.read(paths.pkce);
        const pending = await step.locked(({ db }) => findAuthorization(db, input.tenantId, input.connectionId));
        const reusable =
          stored?.data.state !== undefined &&
          stored.data.codeVerifier !== undefined &&
          pending !== null &&
          pending.used_at === null &&
          pending.workflow_id === input.workflowId &&
          pending.state_hash === stateHash(stored.data.state);
        const { state, codeVerifier } = reusable
          ? { state: stored.data.state!, codeVerifier: stored.data.codeVerifier! }
          : oauth.newSecrets();
        if (!reusable) await secretStore.write(paths.pkce, { codeVerifier, state });
        const authorizationUrl = await oauth.authorizationUrl(provider.definition, provider, {
          redirectUri: input.redirectUri,
          state,
          codeVerifier,
          scopes: input.scopes,
        });
        if (!reusable)
          await step.locked(({ db }) =>
            putAuthorization(db, {
              connection_id: input.connectionId,
              tenant_id: input.tenantId,
              state_hash: stateHash(state),
              user_id: input.userId,
              workflow_id: input.workflowId,
              expires_at: new Date(input.expiresAt),
            }),
          );
        Context.current().log.info('Authorization prepared', { connectionId: input.connectionId, reused: reusable });
        return { authorizationUrl, providerName: provider.definition.name };
      });
    },

    /**
     * Exchanges the code the callback stored for tokens and writes them to the secret store at
     * once; then deletes the code and the verifier. Retry-safe: tokens already stored (a retry
     * after the write) are kept and described, never exchanged again (a code works once).
     */
    async exchangeAuthorizationCode(
      input: ConnectionInput & { providerId: string; redirectUri: string },
    ): Promise<{ tokenPath: string; scopes: string[]; expiresAt: string | null }> {
      const paths = connectionSecretPaths(input.slug, input.connectionId);
      const provider = await providerOf(input, input.providerId);
      return tenantStep(deps, input, async (step) => {
        const stored = await secretStore.read(paths.tokens);
        if (stored)
          return {
            tokenPath: paths.tokens,
            scopes: stored.data.scope ? stored.data.scope.split(' ').filter(Boolean) : [],
            expiresAt: stored.data.expires_at || null,
          };
        const [pkce, callback] = await Promise.all([secretStore.read(paths.pkce), secretStore.read(paths.callback)]);
        if (!pkce || !callback)
          throw ApplicationFailure.nonRetryable(
            'The authorization callback is missing from the secret store; start the connection again.',
            'ConnectorCallbackMissing',
          );
        const requested = await step.locked(async ({ db }) => {
          const connection = await findConnection(db, input.tenantId, input.connectionId);
          return connection?.scopes ?? [];
        });
        const credentials = await clientCredentials(secretStore, provider);
        const tokens = await oauth
          .exchangeCode(provider.definition, credentials, {
            redirectUri: input.redirectUri,
            query: callback.data,
            state: pkce.data.state!,
            codeVerifier: pkce.data.codeVerifier!,
          })
          .catch((error: unknown) => {
            throw asProviderFailure(error);
          });
        const scopes = tokens.scopes.length > 0 ? tokens.scopes : requested;
        const expiresAt = tokens.expiresAt === null ? null : new Date(tokens.expiresAt).toISOString();
        // Written right after the provider answered: the code is spent, these are the only copy.
        await secretStore.write(paths.tokens, {
          access_token: tokens.accessToken,
          refresh_token: tokens.refreshToken ?? '',
          id_token: tokens.idToken ?? '',
          token_type: tokens.tokenType,
          scope: scopes.join(' '),
          expires_at: expiresAt ?? '',
        });
        await Promise.all([secretStore.destroy(paths.callback), secretStore.destroy(paths.pkce)]);
        Context.current().log.info('Tokens stored', {
          connectionId: input.connectionId,
          tokenPath: paths.tokens,
          refreshToken: tokens.refreshToken !== null,
        });
        return { tokenPath: paths.tokens, scopes, expiresAt };
      });
    },

    /**
     * The connection test: the provider's "who am I" call with the new access token. Retry-safe:
     * a read at the provider; nothing is written.
     */
    async testConnection(
      input: Omit<ConnectionInput, 'actor'> & { providerId: string; tokenPath: string },
    ): Promise<{ accountId: string; accountName: string }> {
      const provider = await providerOf(input, input.providerId);
      return tenantStep(deps, input, async () => {
        const tokens = await secretStore.read(input.tokenPath);
        const accessToken = tokens?.data.access_token;
        if (!accessToken)
          throw ApplicationFailure.nonRetryable(`No tokens at ${input.tokenPath}.`, 'ConnectorTokensMissing');
        const account = await oauth.whoAmI(provider.definition, accessToken).catch((error: unknown) => {
          throw asProviderFailure(error);
        });
        return { accountId: account.id, accountName: account.name };
      });
    },

    /**
     * Marks the connection active with the account the test found. Retry-safe: a connection
     * already active is left as it is and not audited again.
     */
    async activateConnection(input: {
      tenantId: string;
      connectionId: string;
      accountId: string;
      accountName: string;
      scopes: string[];
      tokenPath: string;
      tokenExpiresAt: string | null;
      actor?: AuditActor;
    }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const connection = await findConnection(db, input.tenantId, input.connectionId, { lock: true });
        if (!connection)
          throw ApplicationFailure.nonRetryable(
            `Connection ${input.connectionId} does not exist.`,
            'ConnectionMissing',
          );
        // The used authorization stays: a replayed callback is told it was completed (410).
        if (connection.status === 'active') return listSyncs(db, input.tenantId, input.connectionId);
        await updateConnection(db, input.tenantId, input.connectionId, {
          status: 'active',
          error_code: null,
          error_message: null,
          account_id: input.accountId,
          account_name: input.accountName,
          scopes: input.scopes,
          token_path: input.tokenPath,
          token_expires_at: input.tokenExpiresAt ? new Date(input.tokenExpiresAt) : null,
          connected_at: new Date(),
        });
        await auditChange(
          'connection.connected',
          'connection',
          input.connectionId,
          { status: connection.status },
          { status: 'active', provider: connection.provider, account: input.accountName, scopes: input.scopes },
        );
        return listSyncs(db, input.tenantId, input.connectionId);
      }).then(async (syncs) => {
        // A reconnect: the syncs its needs_reauth paused run again (those a member paused stay).
        if (syncs.length > 0)
          await resumeSyncSchedules(deps.temporal, syncs, 'Resumed: the connection was authorized again.');
      });
    },

    /**
     * Ends a connect that did not make it (expired, declined, refused): deletes the verifier, the
     * callback and any tokens, the pending authorization, and records the status and the reason.
     * Retry-safe: deleting what is gone succeeds; a connection already in that status is not
     * audited again.
     */
    async endConnect(
      input: ConnectionInput & { status: 'expired' | 'failed'; code: string; message: string },
    ): Promise<void> {
      await tenantStep(deps, input, async (step) => {
        const paths = connectionSecretPaths(input.slug, input.connectionId);
        await Promise.all([paths.pkce, paths.callback, paths.tokens].map((path) => secretStore.destroy(path)));
        await step.locked(async ({ db, auditChange }) => {
          // Kept, but no longer accepted: a late callback is told the connect expired (410).
          await closeAuthorization(db, input.tenantId, input.connectionId);
          const connection = await findConnection(db, input.tenantId, input.connectionId, { lock: true });
          if (!connection || connection.status === input.status) return;
          await updateConnection(db, input.tenantId, input.connectionId, {
            status: input.status,
            error_code: input.code,
            error_message: input.message,
            token_path: null,
          });
          await auditChange(
            input.status === 'expired' ? 'connection.connect_expired' : 'connection.connect_failed',
            'connection',
            input.connectionId,
            { status: connection.status },
            { status: input.status, code: input.code, message: input.message },
          );
        });
      });
    },
  };
}

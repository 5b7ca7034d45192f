// disconnectConnector's steps: revoke at the provider (per the catalog's revocation kind), then
// delete the tokens and mark the connection disconnected.
import { ApplicationFailure } from '@temporalio/activity';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { listSyncs } from '../../db/repositories/connector-syncs.ts';
import { deleteAuthorization, findConnection, updateConnection } from '../../db/repositories/connectors.ts';
import { revokeAtProvider } from '../../integrations/oauth/revocation.ts';
import { connectionSecretPaths } from '../../workflows/connectors/contract.ts';
import { tenantStep } from '../shared/kernel.ts';
import type { ConnectDeps } from './connect.ts';
import { asProviderFailure, clientCredentials, resolveProvider } from './provider-settings.ts';
import { deleteSyncSchedules } from './sync-schedules.ts';

interface DisconnectInput {
  tenantId: string;
  slug: string;
  connectionId: string;
  actor?: AuditActor;
}

export function createDisconnectActivities({ deps, oauth, catalog }: ConnectDeps) {
  const { secretStore } = deps;
  return {
    /**
     * Revokes the stored tokens at the provider. Retry-safe: revoking a token that is already
     * revoked succeeds (RFC 7009 §2.2; the custom calls treat 401/404 as done), and tokens that
     * are gone mean there is nothing to revoke.
     */
    async revokeConnectionTokens(input: DisconnectInput): Promise<{ how: string; skipped: string | null }> {
      return tenantStep(deps, input, async (step) => {
        const paths = connectionSecretPaths(input.slug, input.connectionId);
        const connection = await step.locked(({ db }) => findConnection(db, input.tenantId, input.connectionId));
        if (!connection)
          throw ApplicationFailure.nonRetryable(
            `Connection ${input.connectionId} does not exist.`,
            'ConnectionMissing',
          );
        const tokens = await secretStore.read(paths.tokens);
        if (!tokens?.data.access_token) return { how: 'none', skipped: 'No tokens were stored for this connection.' };
        const provider = await step.locked(({ db }) =>
          resolveProvider(db, catalog, input.tenantId, connection.provider),
        );
        if (provider.definition.revocation.kind === 'none')
          return { how: 'none', skipped: `${provider.definition.name} has no way to revoke a token; it is deleted.` };
        const credentials = await clientCredentials(secretStore, provider);
        const outcome = await revokeAtProvider(oauth, provider.definition, credentials, {
          accessToken: tokens.data.access_token,
          refreshToken: tokens.data.refresh_token || null,
        }).catch((error: unknown) => {
          throw asProviderFailure(error);
        });
        return { how: outcome.how, skipped: null };
      });
    },

    /**
     * Deletes the tokens (and anything a pending connect left) and the connection's sync schedules,
     * and marks the connection disconnected. Retry-safe: deleting what is gone succeeds; a disconnected connection is not
     * audited again.
     */
    async deleteConnectionTokens(input: DisconnectInput & { revocation: string }): Promise<void> {
      await tenantStep(deps, input, async (step) => {
        const paths = connectionSecretPaths(input.slug, input.connectionId);
        await Promise.all([paths.tokens, paths.pkce, paths.callback].map((path) => secretStore.destroy(path)));
        // Nothing is synced through a disconnected connection: its schedules go (their run history stays).
        const syncs = await step.locked(({ db }) => listSyncs(db, input.tenantId, input.connectionId));
        await deleteSyncSchedules(deps.temporal, syncs);
        await step.locked(async ({ db, auditChange }) => {
          await deleteAuthorization(db, input.tenantId, input.connectionId);
          const connection = await findConnection(db, input.tenantId, input.connectionId, { lock: true });
          if (!connection || connection.status === 'disconnected') return;
          await updateConnection(db, input.tenantId, input.connectionId, {
            status: 'disconnected',
            token_path: null,
            token_expires_at: null,
          });
          await auditChange(
            'connection.disconnected',
            'connection',
            input.connectionId,
            { status: connection.status },
            { status: 'disconnected', revocation: input.revocation },
          );
        });
      });
    },
  };
}

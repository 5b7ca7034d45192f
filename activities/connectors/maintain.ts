// maintainConnection's steps: refresh the tokens (the new ones written to the secret store in the
// same activity, right after the provider answers), and mark a connection whose grant is gone as
// needing re-authorization, mailing its owners and admins once.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { listSyncs } from '../../db/repositories/connector-syncs.ts';
import { findConnection, updateConnection } from '../../db/repositories/connectors.ts';
import { listOwnerAndAdminAddresses } from '../../db/repositories/memberships.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import { CONNECT_FAILURE_TYPES } from '../../workflows/connectors/contract.ts';
import type { TokenReference } from '../../workflows/connectors/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { mailPeople } from '../shared/mail-people.ts';
import { SYSTEM_ACTOR, tenantStep } from '../shared/kernel.ts';
import type { ConnectDeps } from './connect.ts';
import { asProviderFailure, clientCredentials, resolveProvider } from './provider-settings.ts';
import { pauseSyncSchedules, REAUTH_PAUSE_NOTE } from './sync-schedules.ts';

export interface MaintainDeps extends ConnectDeps {
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'mailer' | 'publicUrl' | 'temporal'>;
}

export function createMaintainActivities({ deps, oauth, catalog }: MaintainDeps) {
  const { secretStore } = deps;
  return {
    /**
     * Trades the stored refresh token for new tokens and writes them to the secret store at once:
     * a rotating provider has just revoked the old refresh token, so the answer is the only copy.
     * (A worker killed between the answer and the write loses it; the next refresh then meets
     * `invalid_grant` and the connection needs re-authorization.) Retry-safe: tokens that already
     * expire later than the workflow knows were stored by an earlier attempt and are returned as
     * they are.
     */
    async refreshConnectionTokens(input: {
      tenantId: string;
      slug: string;
      connectionId: string;
      providerId: string;
      tokenPath: string;
      /** The expiry the workflow knows (ISO); a stored later one means this refresh happened. */
      knownExpiresAt: string | null;
    }): Promise<TokenReference> {
      const actor = SYSTEM_ACTOR;
      return tenantStep(deps, { ...input, actor }, async (step) => {
        const provider = await step.locked(({ db }) => resolveProvider(db, catalog, input.tenantId, input.providerId));
        const stored = await secretStore.read(input.tokenPath);
        if (!stored?.data.access_token)
          throw ApplicationFailure.nonRetryable(
            `No tokens are stored for this connection any more; connect ${provider.definition.name} again.`,
            CONNECT_FAILURE_TYPES.invalid_grant,
          );
        const storedExpiry = stored.data.expires_at || null;
        if (
          storedExpiry !== null &&
          input.knownExpiresAt !== null &&
          Date.parse(storedExpiry) > Date.parse(input.knownExpiresAt)
        )
          return { tokenPath: input.tokenPath, expiresAt: storedExpiry };
        const refreshToken = stored.data.refresh_token;
        if (!refreshToken)
          throw ApplicationFailure.nonRetryable(
            `${provider.definition.name} issued no refresh token, so the access it granted cannot be renewed; connect it again.`,
            CONNECT_FAILURE_TYPES.invalid_grant,
          );
        const credentials = await clientCredentials(secretStore, provider);
        const tokens = await oauth.refresh(provider.definition, credentials, refreshToken).catch((error: unknown) => {
          throw asProviderFailure(error);
        });
        const expiresAt = tokens.expiresAt === null ? null : new Date(tokens.expiresAt).toISOString();
        // Written right after the provider answered: the old refresh token may be revoked now.
        await secretStore.write(input.tokenPath, {
          ...stored.data,
          access_token: tokens.accessToken,
          refresh_token: tokens.refreshToken ?? refreshToken,
          id_token: tokens.idToken ?? stored.data.id_token ?? '',
          token_type: tokens.tokenType,
          scope: tokens.scopes.length > 0 ? tokens.scopes.join(' ') : (stored.data.scope ?? ''),
          expires_at: expiresAt ?? '',
        });
        // Not audited: a routine renewal of a secret's value, every few minutes per connection
        // (the log and the workflow's history show each one); the row only says when.
        await step.locked(({ db }) =>
          updateConnection(db, input.tenantId, input.connectionId, {
            token_expires_at: expiresAt === null ? null : new Date(expiresAt),
            tokens_refreshed_at: new Date(),
          }),
        );
        Context.current().log.info('Tokens refreshed', {
          connectionId: input.connectionId,
          rotated: tokens.refreshToken !== null && tokens.refreshToken !== refreshToken,
          expiresAt,
        });
        return { tokenPath: input.tokenPath, expiresAt };
      });
    },

    /**
     * The provider refused the refresh for good: the connection becomes `needs_reauth` with the
     * provider's reason (audited), its sync schedules are paused, and its owners and admins are
     * mailed once. Retry-safe: pausing a paused schedule succeeds; the
     * status is set once; the mail's mark is set after the mails (a crash between them sends
     * them again, with the same Message-ID). A connection being disconnected is left alone.
     */
    async markConnectionNeedsReauth(input: {
      tenantId: string;
      slug: string;
      connectionId: string;
      code: string;
      message: string;
    }): Promise<{ recipients: string[] }> {
      const actor = SYSTEM_ACTOR;
      return tenantStep(deps, { ...input, actor }, async (step) => {
        const connection = await step.locked(async ({ db, auditChange }) => {
          const current = await findConnection(db, input.tenantId, input.connectionId, { lock: true });
          if (!current || (current.status !== 'active' && current.status !== 'needs_reauth')) return null;
          if (current.status === 'active') {
            await updateConnection(db, input.tenantId, input.connectionId, {
              status: 'needs_reauth',
              error_code: 'invalid_grant',
              error_message: input.message,
              reauth_mailed_at: null,
            });
            await auditChange(
              'connection.needs_reauth',
              'connection',
              input.connectionId,
              { status: 'active' },
              { status: 'needs_reauth', reason: input.message },
            );
          }
          return current.status === 'needs_reauth' && current.reauth_mailed_at !== null ? null : current;
        });
        // Its syncs could not get a token any more: their schedules pause until it is reconnected.
        const syncs = await withTenantScope(deps.dataSource, input.tenantId, (db) =>
          listSyncs(db, input.tenantId, input.connectionId),
        );
        await pauseSyncSchedules(deps.temporal, syncs, REAUTH_PAUSE_NOTE);
        if (!connection) return { recipients: [] };

        const read = await withTenantScope(deps.dataSource, input.tenantId, async (db) => ({
          tenant: await findTenantById(db, input.tenantId),
          contacts: await listOwnerAndAdminAddresses(db, input.tenantId),
        }));
        const page = new URL(`/tenants/${input.slug}/connectors`, deps.publicUrl).toString();
        const { recipients, refused } = await mailPeople(deps.mailer, read.contacts, (contact) => ({
          to: contact.email,
          subject: `Reconnect "${connection.name}" for ${read.tenant?.name ?? input.slug}`,
          text: [
            `The connection "${connection.name}" (${connection.account_name ?? connection.provider}) stopped working: ${input.message}`,
            '',
            `Atrium can no longer renew its access, so nothing is synced through it until someone reconnects it: ${page}`,
            '',
            '— Atrium',
          ].join('\n'),
          messageId: `connection-reauth.${input.connectionId}.${connection.updated_at.getTime()}.${contact.user_id}@atrium`,
        }));
        await step.locked(async ({ db, audit }) => {
          const current = await findConnection(db, input.tenantId, input.connectionId, { lock: true });
          if (!current || current.status !== 'needs_reauth' || current.reauth_mailed_at !== null) return;
          await updateConnection(db, input.tenantId, input.connectionId, { reauth_mailed_at: new Date() });
          await audit('connection.reauth_mailed', 'connection', input.connectionId, { recipients, refused });
        });
        return { recipients };
      });
    },
  };
}

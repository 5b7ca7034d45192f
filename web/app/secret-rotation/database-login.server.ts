// A tenant's database login on the admin console's tenant page (docs/decisions/0036):
// GET /api/v1/tenants/:slug/database-login, "Rotate now" (POST …/rotations, a workflow: the page
// opens its live operation) and the rotation policy (PUT/DELETE …/policy: the page stays).
import type { RouterContextProvider } from 'react-router';
import { callApi } from '../api/client.server.ts';
import type { TenantAction, TenantActionArgs } from '../api/tenant-action.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type { DatabaseLoginOverview, DatabaseLoginPolicyRequest, OperationStarted } from '../../../contracts/index.ts';
import { formText } from '../form-text.ts';

export function loadDatabaseLogin(
  context: Readonly<RouterContextProvider>,
  slug: string,
  call: { signal: AbortSignal; token: string },
) {
  return callApi<DatabaseLoginOverview>(context, `${tenantApiPath(slug)}/database-login`, call);
}

/** "Rotate now": starts rotateDatabaseLogin; the page follows its operation. */
export const databaseLoginActions = {
  'database-login-rotate': ({ context, slug, token }: TenantActionArgs) =>
    callApi<OperationStarted>(context, `${tenantApiPath(slug)}/database-login/rotations`, { method: 'POST', token }),
} satisfies Record<string, TenantAction>;

/** The policy's intents: they change no operation, so the page reloads in place. */
export const databaseLoginPolicyActions = {
  'database-login-policy-set': ({ context, slug, token, form }: TenantActionArgs) =>
    callApi<DatabaseLoginOverview>(context, `${tenantApiPath(slug)}/database-login/policy`, {
      method: 'PUT',
      token,
      body: { every: formText(form, 'every') } satisfies DatabaseLoginPolicyRequest,
    }),
  'database-login-policy-remove': ({ context, slug, token }: TenantActionArgs) =>
    callApi<unknown>(context, `${tenantApiPath(slug)}/database-login/policy`, { method: 'DELETE', token }),
};

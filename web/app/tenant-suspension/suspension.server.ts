// Suspending and reactivating a tenant: POST /api/v1/tenants/:slug/suspend and …/reactivate
// (api/tenant-suspension/routes.ts), each starting a workflow of the family.
import { callApi } from '../api/client.server.ts';
import type { TenantAction, TenantActionArgs } from '../api/tenant-action.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type { OperationStarted, ReactivateTenantRequest, SuspendTenantRequest } from '../../../contracts/index.ts';
import { formText } from '../form-text.ts';

function post({ context, slug, token, form }: TenantActionArgs, path: string, body: unknown) {
  return callApi<OperationStarted>(context, `${tenantApiPath(slug)}${path}`, {
    method: 'POST',
    token,
    body,
    // One click is one operation, even if the browser sends the form twice.
    headers: { 'idempotency-key': formText(form, 'key') || crypto.randomUUID() },
  });
}

/** The intents of SuspendTenantForm and ReactivateTenantForm. */
export const suspensionActions = {
  suspend: (args) => post(args, '/suspend', { reason: formText(args.form, 'reason') } satisfies SuspendTenantRequest),
  reactivate: (args) => post(args, '/reactivate', {} satisfies ReactivateTenantRequest),
} satisfies Record<string, TenantAction>;

// The billing family's portal handlers: the tenant's billing standing for the admin console.
import type { RouterContextProvider } from 'react-router';
import type { TenantBilling } from '../../../contracts/index.ts';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';

/** The tenant's billing standing; null when the API cannot say (the page shows the rest). */
export async function loadTenantBilling(
  context: Readonly<RouterContextProvider>,
  slug: string,
  call: { signal: AbortSignal; token: string },
): Promise<TenantBilling | null> {
  const billing = await callApi<TenantBilling>(context, `${tenantApiPath(slug)}/billing`, call);
  return billing.ok ? billing.body : null;
}

// Offboarding a tenant through /api/v1/tenants/:slug/offboard… (api/tenant-offboarding/routes.ts):
// start it, call it off during the grace period, read its teardown report, relay its export.
import type { RouterContextProvider } from 'react-router';
import { callApi } from '../api/client.server.ts';
import { relayDownload } from '../api/download.server.ts';
import type { TenantAction } from '../api/tenant-action.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type {
  CancelTenantOffboardingRequest,
  OffboardTenantRequest,
  Tenant,
  TenantOffboardingCancellation,
  TenantOffboardingStarted,
  TenantTeardownReport,
} from '../../../contracts/index.ts';
import { formText } from '../form-text.ts';

/** The intents of OffboardTenantForm and CancelOffboardingForm. */
export const offboardingActions = {
  offboard: ({ context, slug, token, form }) =>
    callApi<TenantOffboardingStarted>(context, `${tenantApiPath(slug)}/offboard`, {
      method: 'POST',
      token,
      body: {
        reason: formText(form, 'reason'),
        ...(formText(form, 'gracePeriod') ? { gracePeriod: formText(form, 'gracePeriod') } : {}),
      } satisfies OffboardTenantRequest,
    }),
  'cancel-offboard': ({ context, slug, token }) =>
    callApi<TenantOffboardingCancellation>(context, `${tenantApiPath(slug)}/offboard/cancel`, {
      method: 'POST',
      token,
      body: {} satisfies CancelTenantOffboardingRequest,
    }),
} satisfies Record<string, TenantAction>;

/** The teardown report, which exists once offboarding started; null before (or unreadable). */
export async function loadTeardownReport(
  context: Readonly<RouterContextProvider>,
  tenant: Tenant,
  call: { signal: AbortSignal; token: string },
): Promise<TenantTeardownReport | null> {
  if (tenant.status !== 'offboarding' && tenant.status !== 'offboarded') return null;
  const report = await callApi<TenantTeardownReport>(context, `${tenantApiPath(tenant.slug)}/offboard/report`, call);
  return report.ok ? report.body : null;
}

/** The tenant's data export, downloaded with the platform admin's session. */
export function relayTenantExport(
  context: Readonly<RouterContextProvider>,
  request: Request,
  slug: string,
  token: string,
): Promise<Response> {
  return relayDownload(context, request, `${tenantApiPath(slug)}/offboard/export`, token);
}

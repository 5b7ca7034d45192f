// What a workflow family's action on one tenant takes and answers, so the admin console's
// tenant page (routes/admin/admin-tenant.tsx) calls each family's handler the same way.
import type { RouterContextProvider } from 'react-router';
import type { ApiResult } from './client.server.ts';

export interface TenantActionArgs {
  context: Readonly<RouterContextProvider>;
  slug: string;
  /** The platform admin's access token. */
  token: string;
  /** The submitted form: the family's own fields (reason, key, …). */
  form: FormData;
}

/** Each action starts or decides a workflow; the answer names its operation. */
export type TenantAction = (args: TenantActionArgs) => Promise<ApiResult<{ operation: { id: string } }>>;

/** The API path of one tenant; a family's routes hang below it. */
export const tenantApiPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}`;

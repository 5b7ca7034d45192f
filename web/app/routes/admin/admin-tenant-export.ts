// Downloads an offboarded tenant's data export with the platform admin's session.
import type { Route } from './+types/admin-tenant-export';
import { requirePlatformAdmin } from '../../session.server.ts';
import { relayTenantExport } from '../../tenant-offboarding/offboarding.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  return relayTenantExport(context, request, params.slug, accessToken);
}

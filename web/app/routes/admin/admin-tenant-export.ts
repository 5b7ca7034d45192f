// Downloads an offboarded tenant's data export with the platform admin's session.
import type { Route } from './+types/admin-tenant-export';
import { relayDownload } from '../../api/download.server.ts';
import { requirePlatformAdmin } from '../../session.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  return relayDownload(
    context,
    request,
    `/api/v1/tenants/${encodeURIComponent(params.slug)}/offboard/export`,
    accessToken,
  );
}

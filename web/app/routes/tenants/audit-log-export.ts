// Downloads an audit log export (CSV or JSON, the query string passed on) with the
// signed-in user's session.
import type { Route } from './+types/audit-log-export';
import { relayDownload } from '../../api/download.server.ts';
import { requireUser } from '../../session.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const path = `/api/v1/tenants/${encodeURIComponent(params.slug)}/audit-log/export${new URL(request.url).search}`;
  return relayDownload(context, request, path, accessToken);
}

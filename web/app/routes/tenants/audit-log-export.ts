// Downloads an audit log export (CSV or JSON, the query string passed on) with the
// signed-in user's session. The page's days become the API's time range, as on the page.
import type { Route } from './+types/audit-log-export';
import { relayDownload } from '../../api/download.server.ts';
import { apiQueryOf } from '../../components/audit-log/time-range.ts';
import { requireUser } from '../../session.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const query = apiQueryOf(new URL(request.url).searchParams);
  const path = `/api/v1/tenants/${encodeURIComponent(params.slug)}/audit-log/export?${query}`;
  return relayDownload(context, request, path, accessToken);
}

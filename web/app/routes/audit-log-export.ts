// Downloads an audit log export with the signed-in user's session: the browser cannot send
// the API's Bearer token from a plain link, so the portal fetches the export and streams it
// through, with the API's headers (type, file name).
import type { Route } from './+types/audit-log-export';
import { portalContext } from '../portal-context.server.ts';
import { requireUser } from '../session.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const { apiBaseUrl, requestId, clientIp } = context.get(portalContext);
  const url = new URL(`/api/v1/tenants/${encodeURIComponent(params.slug)}/audit-log/export`, apiBaseUrl);
  url.search = new URL(request.url).search;
  const headers = new Headers({ authorization: `Bearer ${accessToken}` });
  if (requestId) headers.set('x-request-id', requestId);
  if (clientIp) headers.set('x-forwarded-for', clientIp);
  const upstream = await fetch(url, { headers, signal: request.signal });
  const passed = new Headers();
  for (const name of ['content-type', 'content-disposition', 'cache-control'])
    if (upstream.headers.has(name)) passed.set(name, upstream.headers.get(name)!);
  return new Response(upstream.body, { status: upstream.status, headers: passed });
}

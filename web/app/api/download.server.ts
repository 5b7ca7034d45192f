// Relays a download from the API with the signed-in user's token: a plain link in the
// browser cannot send the Bearer token, so the portal fetches the file and streams it on,
// with the API's status and the headers that describe the file.
import type { RouterContextProvider } from 'react-router';
import { portalContext } from '../portal-context.server.ts';

const FILE_HEADERS = ['content-type', 'content-length', 'content-disposition', 'etag', 'cache-control'];

export async function relayDownload(
  context: Readonly<RouterContextProvider>,
  request: Request,
  apiPath: string,
  accessToken: string,
): Promise<Response> {
  const { apiBaseUrl, requestId, clientIp } = context.get(portalContext);
  // identity: the headers passed on (length included) describe the bytes as they are sent.
  const headers = new Headers({ authorization: `Bearer ${accessToken}`, 'accept-encoding': 'identity' });
  if (requestId) headers.set('x-request-id', requestId);
  if (clientIp) headers.set('x-forwarded-for', clientIp);
  const upstream = await fetch(new URL(apiPath, apiBaseUrl), { headers, signal: request.signal });
  const passed = new Headers();
  for (const name of FILE_HEADERS) if (upstream.headers.has(name)) passed.set(name, upstream.headers.get(name)!);
  return new Response(upstream.body, { status: upstream.status, headers: passed });
}

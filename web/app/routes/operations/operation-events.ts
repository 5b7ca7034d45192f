// The browser's event stream for one operation. The API wants a Bearer token, which an
// EventSource cannot send, so the portal opens the API's stream with the signed-in user's
// token and passes the events through unchanged (no buffering: each event goes out as it
// arrives). Without a session the answer is a 401, which EventSource reports as an error.
import type { Route } from './+types/operation-events';
import { portalContext } from '../../portal-context.server.ts';
import { optionalUser } from '../../session.server.ts';

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const signedIn = await optionalUser(context);
  if (!signedIn) return new Response('Sign in to follow this operation.', { status: 401 });
  const { apiBaseUrl, requestId, clientIp } = context.get(portalContext);
  const headers = new Headers({
    accept: 'text/event-stream',
    authorization: `Bearer ${signedIn.accessToken}`,
    'accept-encoding': 'identity',
  });
  if (requestId) headers.set('x-request-id', requestId);
  if (clientIp) headers.set('x-forwarded-for', clientIp);
  const upstream = await fetch(
    new URL(`/api/v1/operations/${encodeURIComponent(params.operationId)}/events`, apiBaseUrl),
    {
      headers,
      signal: request.signal,
    },
  );
  return new Response(upstream.body, {
    status: upstream.status,
    headers: {
      'content-type': upstream.headers.get('content-type') ?? 'text/plain',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    },
  });
}

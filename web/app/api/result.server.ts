// Turning an API answer into what a loader returns or throws. Separate from
// client.server.ts, which session.server.ts itself uses (no import cycle).
import { data, redirect } from 'react-router';
import { loginPath } from '../session.server.ts';
import { problemTypeUri } from '../../../contracts/index.ts';
import type { ApiResult } from './client.server.ts';

/** /sso for the tenant of the page asked for, coming back to that page. */
export function ssoPath(request: Request): string {
  const url = new URL(request.url);
  const tenant = url.pathname.match(/^\/tenants\/([^/]+)/)?.[1];
  const params = new URLSearchParams({ redirectTo: `${url.pathname}${url.search}` });
  if (tenant) params.set('tenant', decodeURIComponent(tenant));
  return `/sso?${params}`;
}

/**
 * A loader's API answer, or the page the error deserves: sign-in again for 401, the app's
 * own 404 page (never revealing whether a tenant exists), otherwise the problem itself.
 */
export function resultOrThrow<T>(result: ApiResult<T>, request: Request): T {
  if (result.ok) return result.body;
  if (result.status === 401) throw redirect(loginPath(request));
  // The tenant requires its single sign-on and this session did not come through it.
  if (result.problem.type === problemTypeUri('sso-required')) throw redirect(ssoPath(request));
  if (result.status === 404) throw data(null, { status: 404 });
  throw data(result.problem, { status: result.status });
}

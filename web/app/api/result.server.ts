// Turning an API answer into what a loader returns or throws. Separate from
// client.server.ts, which session.server.ts itself uses (no import cycle).
import { data, redirect } from 'react-router';
import { loginPath } from '../session.server.ts';
import type { ApiResult } from './client.server.ts';

/**
 * A loader's API answer, or the page the error deserves: sign-in again for 401, the app's
 * own 404 page (never revealing whether a tenant exists), otherwise the problem itself.
 */
export function resultOrThrow<T>(result: ApiResult<T>, request: Request): T {
  if (result.ok) return result.body;
  if (result.status === 401) throw redirect(loginPath(request));
  if (result.status === 404) throw data(null, { status: 404 });
  throw data(result.problem, { status: result.status });
}

import { data } from 'react-router';
import type { RouterContextProvider } from 'react-router';
import { portalContext } from '../portal-context.server.ts';
import type { Problem } from '../../../contracts/index.ts';

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: Problem };

interface ApiCall {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The signed-in user's access token (session.server.ts requireUser), sent as a Bearer token. */
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The route request's signal, so an abandoned navigation stops waiting on the API. */
  signal?: AbortSignal;
}

/**
 * Calls the Atrium API over HTTP. Problems come back as values (actions show them on
 * the form); only a response that is neither JSON nor a problem is turned into one.
 */
export async function callApi<T>(
  context: Readonly<RouterContextProvider>,
  path: string,
  call: ApiCall = {},
): Promise<ApiResult<T>> {
  const { apiBaseUrl, requestId, clientIp } = context.get(portalContext);
  const headers = new Headers(call.headers);
  headers.set('accept', 'application/json, application/problem+json');
  // Over loopback compressing costs both ends CPU and saves nothing; the browser's answer is
  // compressed on its way out (api/http/compression.ts).
  headers.set('accept-encoding', 'identity');
  if (requestId) headers.set('x-request-id', requestId);
  if (clientIp) headers.set('x-forwarded-for', clientIp);
  if (call.token) headers.set('authorization', `Bearer ${call.token}`);
  if (call.body !== undefined) headers.set('content-type', 'application/json');

  let response: Response;
  try {
    response = await fetch(new URL(path, apiBaseUrl), {
      method: call.method ?? 'GET',
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: call.signal,
    });
  } catch (error) {
    if (call.signal?.aborted) throw error;
    return {
      ok: false,
      status: 502,
      problem: {
        type: 'about:blank',
        title: 'The Atrium API could not be reached',
        status: 502,
        detail: error instanceof Error ? error.message : String(error),
      },
    };
  }

  const body: unknown = await readJson(response);
  if (response.ok) return { ok: true, status: response.status, body: body as T };
  return { ok: false, status: response.status, problem: toProblem(response, body) };
}

/** GETs for a loader: any problem becomes the route's error, shown by the error boundary. */
export async function loadFromApi<T>(
  context: Readonly<RouterContextProvider>,
  path: string,
  call: { signal: AbortSignal; token: string },
): Promise<T> {
  const result = await callApi<T>(context, path, call);
  if (!result.ok) throw data(result.problem, { status: result.status });
  return result.body;
}

async function readJson(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return undefined;
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function toProblem(response: Response, body: unknown): Problem {
  if (typeof body === 'object' && body !== null && 'title' in body) {
    return { ...(body as Problem), status: response.status };
  }
  return {
    type: 'about:blank',
    title: response.statusText || `The API answered ${response.status}`,
    status: response.status,
  };
}

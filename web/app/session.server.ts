// The portal's sign-in session: the API's tokens in a signed, httpOnly cookie.
//
// The root route's middleware (sessionMiddleware) opens the cookie once per request and
// writes it back (Set-Cookie) after the loaders and actions ran, if they changed it.
// requireUser hands loaders the user and a valid access token, exchanging the refresh
// token first when the access token has expired or is about to; the API rotates refresh
// tokens, so the new one goes into the cookie. Without a session, or when the refresh is
// refused, it throws a redirect to /login?redirectTo=….
import { createContext, createCookieSessionStorage, data, redirect, redirectDocument } from 'react-router';
import type { MiddlewareFunction, RouterContextProvider, Session, SessionStorage } from 'react-router';
import { callApi } from './api/client.server.ts';
import type { ApiResult } from './api/client.server.ts';
import type { Session as ApiSession, User } from '../../contracts/index.ts';
import { portalContext } from './portal-context.server.ts';

type Context = Readonly<RouterContextProvider>;

interface SessionData {
  accessToken: string;
  /** When the access token expires, in ms since the epoch. */
  accessTokenExpiresAt: number;
  refreshToken: string;
  user: User;
  /** The tenant whose pages the user saw last: the portal's home opens it. */
  lastTenant?: string;
  /**
   * The state of the single sign-on this browser started: the callback must bring it back,
   * so nobody can complete a sign-in they started into someone else's browser.
   */
  ssoState?: string;
  /** The address the last signup from this browser went to: the check-your-email page's. */
  signupEmail?: string;
}
type PortalSession = Session<SessionData>;

export interface SignedIn {
  user: User;
  accessToken: string;
}

/** An access token with less than this left is refreshed before it is used. */
const REFRESH_MARGIN_MS = 30_000;
const COOKIE_NAME = '__atrium_session';

/** What one request knows about its session; set by sessionMiddleware. */
interface RequestSession {
  storage: SessionStorage<SessionData>;
  session: PortalSession;
  /** Write the cookie back after the request (new tokens), or clear it (signed out). */
  write: 'none' | 'commit' | 'destroy';
  /** The request's one look-up (loaders run in parallel; refresh only once). */
  current?: Promise<SignedIn | null>;
}
const requestSessionContext = createContext<RequestSession | null>(null);

const storages = new Map<string, SessionStorage<SessionData>>();

/** One storage per secret and scheme: the Secure attribute follows the request (https or not). */
function storageFor(secret: string, secure: boolean): SessionStorage<SessionData> {
  const key = `${secure}:${secret}`;
  let storage = storages.get(key);
  if (!storage) {
    storage = createCookieSessionStorage<SessionData>({
      cookie: {
        name: COOKIE_NAME,
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: '/',
        secrets: [secret],
        // The browser may keep it as long as the refresh token lives; the API decides
        // whether the tokens inside are still good.
        maxAge: 30 * 86_400,
      },
    });
    storages.set(key, storage);
  }
  return storage;
}

/** Root middleware: opens the session cookie and writes it back when the request changed it. */
export const sessionMiddleware: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const { sessionSecret } = context.get(portalContext);
  const storage = storageFor(sessionSecret, new URL(request.url).protocol === 'https:');
  const state: RequestSession = {
    storage,
    session: await storage.getSession(request.headers.get('cookie')),
    write: 'none',
  };
  context.set(requestSessionContext, state);
  const response = await next();
  if (state.write !== 'none') {
    const cookie =
      state.write === 'commit'
        ? await storage.commitSession(state.session)
        : await storage.destroySession(state.session);
    response.headers.append('Set-Cookie', cookie);
  }
  return response;
};

function requestSession(context: Context): RequestSession {
  const state = context.get(requestSessionContext);
  if (!state) throw new Error('No session: sessionMiddleware must run first (root.tsx).');
  return state;
}

/** The signed-in user and a valid access token, or a redirect to the login page. */
export async function requireUser(request: Request, context: Context): Promise<SignedIn> {
  const signedIn = await currentUser(context);
  if (!signedIn) throw redirect(loginPath(request));
  return signedIn;
}

/** The admin console's guard: platform admins only; anyone else gets the 404 of a missing page. */
export async function requirePlatformAdmin(request: Request, context: Context): Promise<SignedIn> {
  const signedIn = await requireUser(request, context);
  if (!signedIn.user.isPlatformAdmin) throw data(null, { status: 404 });
  return signedIn;
}

/** For pages open to everyone (the login page, the frame): the user, if signed in. */
export function optionalUser(context: Context): Promise<SignedIn | null> {
  return currentUser(context);
}

function currentUser(context: Context): Promise<SignedIn | null> {
  const state = requestSession(context);
  state.current ??= lookUp(context, state);
  return state.current;
}

async function lookUp(context: Context, state: RequestSession): Promise<SignedIn | null> {
  const { session } = state;
  const refreshToken = session.get('refreshToken');
  const accessToken = session.get('accessToken');
  const user = session.get('user');
  if (!refreshToken || !accessToken || !user) return null;
  if ((session.get('accessTokenExpiresAt') ?? 0) - Date.now() > REFRESH_MARGIN_MS) return { user, accessToken };

  const result = await refreshOnce(context, refreshToken);
  if (result.ok) {
    keep(state, result.body);
    return { user: result.body.user, accessToken: result.body.accessToken };
  }
  // The API could not be asked: show the error rather than sign the user out.
  if (result.status >= 500) throw data(result.problem, { status: result.status });
  // Refused (expired, revoked, reused): the session is over.
  state.write = 'destroy';
  return null;
}

/**
 * Refresh tokens are single-use, and a second use revokes the whole login. Requests that
 * arrive together with the same cookie (a navigation and a form post, two tabs) must not
 * both spend it: within this process they share the first exchange's answer for a while.
 */
const refreshes = new Map<string, Promise<ApiResult<ApiSession>>>();
const SHARE_REFRESH_MS = 30_000;

function refreshOnce(context: Context, refreshToken: string): Promise<ApiResult<ApiSession>> {
  let pending = refreshes.get(refreshToken);
  if (!pending) {
    pending = callApi<ApiSession>(context, '/api/v1/auth/refresh', { method: 'POST', body: { refreshToken } });
    refreshes.set(refreshToken, pending);
    setTimeout(() => refreshes.delete(refreshToken), SHARE_REFRESH_MS).unref();
  }
  return pending;
}

function keep(state: RequestSession, tokens: ApiSession): void {
  state.session.set('accessToken', tokens.accessToken);
  state.session.set('accessTokenExpiresAt', Date.now() + tokens.expiresIn * 1000);
  state.session.set('refreshToken', tokens.refreshToken);
  state.session.set('user', tokens.user);
  state.write = 'commit';
  state.current = Promise.resolve({ user: tokens.user, accessToken: tokens.accessToken });
}

/** After a successful POST /api/v1/auth/login: the response will carry the new session cookie. */
export function startSession(context: Context, tokens: ApiSession): void {
  keep(requestSession(context), tokens);
}

/** Before sending the browser to an identity provider. */
export function rememberSsoState(context: Context, ssoState: string): void {
  const state = requestSession(context);
  state.session.set('ssoState', ssoState);
  if (state.write === 'none') state.write = 'commit';
}

/** After a signup was asked for: the check-your-email page shows the address and resends to it. */
export function rememberSignupEmail(context: Context, email: string): void {
  const state = requestSession(context);
  state.session.set('signupEmail', email);
  if (state.write === 'none') state.write = 'commit';
}

export function signupEmail(context: Context): string | undefined {
  return requestSession(context).session.get('signupEmail');
}

/** The signup is complete: the check-your-email page has nothing left to show. */
export function forgetSignupEmail(context: Context): void {
  const state = requestSession(context);
  if (state.session.get('signupEmail') === undefined) return;
  state.session.unset('signupEmail');
  if (state.write === 'none') state.write = 'commit';
}

/** The SSO state this browser started, used up (a callback is accepted once). */
export function takeSsoState(context: Context): string | undefined {
  const state = requestSession(context);
  const ssoState = state.session.get('ssoState');
  if (ssoState !== undefined) {
    state.session.unset('ssoState');
    if (state.write === 'none') state.write = 'commit';
  }
  return ssoState;
}

/** Called by the tenant pages once they loaded: the switcher's choice survives the visit. */
export function rememberTenant(context: Context, slug: string): void {
  const state = requestSession(context);
  if (state.session.get('lastTenant') === slug) return;
  state.session.set('lastTenant', slug);
  if (state.write === 'none') state.write = 'commit';
}

export function lastTenant(context: Context): string | undefined {
  return requestSession(context).session.get('lastTenant');
}

/** After the user changed their own profile: the header shows the new name at once. */
export function updateSessionUser(context: Context, user: ApiSession['user']): void {
  const state = requestSession(context);
  state.session.set('user', user);
  state.write = 'commit';
  state.current = (state.current ?? Promise.resolve(null)).then((signedIn) => signedIn && { ...signedIn, user });
}

/** Signs out: revokes the login at the API (best effort) and clears the cookie. */
export async function endSession(context: Context): Promise<void> {
  const state = requestSession(context);
  const refreshToken = state.session.get('refreshToken');
  if (refreshToken) {
    await callApi(context, '/api/v1/auth/logout', { method: 'POST', body: { refreshToken } });
  }
  state.write = 'destroy';
  state.current = Promise.resolve(null);
}

/** /login, remembering where to come back to. */
export function loginPath(request: Request): string {
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  return back === '/' ? '/login' : `/login?${new URLSearchParams({ redirectTo: back })}`;
}

/** Where to go after signing in: only a path on this site (no open redirect). */
export function safeRedirect(target: FormDataEntryValue | string | null | undefined, fallback = '/tenants'): string {
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) {
    return fallback;
  }
  return target;
}

/**
 * The redirect after signing in: a page of the portal by client-side navigation, anything else
 * Atrium serves outside the portal (the Temporal UI at /ops/temporal/) as a whole new document.
 */
export function redirectAfterSignIn(target: FormDataEntryValue | string | null | undefined): Response {
  const path = safeRedirect(target);
  return path.startsWith('/ops/') ? redirectDocument(path) : redirect(path);
}

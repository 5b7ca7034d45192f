// Serves the portal (web/, React Router framework mode) from the API's Express app:
// one Node HTTP server answers /api and every page. Mount it after the API routes.
// Every page gets a strict, nonce-based content security policy (see portalCsp).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@react-router/express';
import type { Express, Request, RequestHandler, Response } from 'express';
import { RouterContextProvider } from 'react-router';
import type { RouterContext, ServerBuild } from 'react-router';
import type { PortalContext } from '../web/app/portal-context.server.ts';
import type { ResponseCompression } from './http/compression.ts';
import { staticAssets } from './http/compression.ts';

export interface PortalOptions {
  mode: 'production' | 'development';
  /** Where loaders and actions reach the API over HTTP, e.g. http://127.0.0.1:3000. */
  apiBaseUrl: string;
  /** The Temporal Web UI as people reach it (`/ops/temporal/`, behind an operator's sign-in), linked for operators. */
  temporalUiUrl: string;
  /** SESSION_SECRET: signs the session cookie. Required to serve the portal. */
  sessionSecret: string | undefined;
  /** RESPONSE_COMPRESSION: whether the built assets' .br/.gz copies are served. */
  compression: ResponseCompression;
}

export interface Portal {
  close(): Promise<void>;
}

/** React Router's server build plus what web/server-build.ts adds to it. */
type PortalServerBuild = ServerBuild & { portalContext: RouterContext<PortalContext> };

const webDirectory = fileURLToPath(new URL('../web/', import.meta.url));
const clientDirectory = fileURLToPath(new URL('../web/build/client/', import.meta.url));
const serverBuildFile = fileURLToPath(new URL('../web/build/server/index.js', import.meta.url));

export async function mountPortal(app: Express, options: PortalOptions): Promise<Portal> {
  if (!options.sessionSecret) {
    throw new Error(
      'SESSION_SECRET is required to serve the portal (at least 32 characters; npm start generates one into .data/session-secret). Set PORTAL_MODE=off to run the API alone.',
    );
  }
  return options.mode === 'production' ? mountBuiltPortal(app, options) : mountDevelopmentPortal(app, options);
}

/** Production: the output of `npm run build`, static assets straight from disk. */
async function mountBuiltPortal(app: Express, options: PortalOptions): Promise<Portal> {
  if (!existsSync(serverBuildFile)) {
    throw new Error(`The portal has not been built: ${serverBuildFile} is missing. Run \`npm run build\` first.`);
  }
  const build = (await import(pathToFileURL(serverBuildFile).href)) as PortalServerBuild;

  // Vite puts a content hash in every file name under assets/, so they can be cached forever.
  // `npm run build` wrote a brotli and a gzip copy beside each file; the one the browser
  // accepts is sent (Content-Encoding, Vary: Accept-Encoding), unless compression is off.
  app.use('/assets', staticAssets(`${clientDirectory}assets`, options.compression, { immutable: true, maxAge: '1y' }));
  app.use(staticAssets(clientDirectory, options.compression, { index: false, maxAge: '1h' }));
  app.use(contentSecurityPolicy({}));
  app.use(
    createRequestHandler({
      build,
      mode: options.mode,
      getLoadContext: (req, res) => loadContext(build, req, res, options),
    }),
  );
  return { close: async () => {} };
}

/** Development: Vite compiles web/ on request and reloads what changed. */
async function mountDevelopmentPortal(app: Express, options: PortalOptions): Promise<Portal> {
  // Imported here so production never needs Vite installed.
  const { createServer } = await import('vite');
  // Vite's live-reload socket gets a port of its own: its fixed default clashes as soon
  // as a second development server runs on the machine.
  const hmrPort = await freeLoopbackPort();
  const vite = await createServer({
    root: webDirectory,
    server: { middlewareMode: true, hmr: { port: hmrPort } },
    appType: 'custom',
  });
  // Vite serves the server build's own entry (it re-exports virtual:react-router/server-build);
  // its module graph hands loaders and getLoadContext the same module instances.
  const loadBuild = () => vite.ssrLoadModule('/server-build.ts') as Promise<PortalServerBuild>;

  app.use(vite.middlewares);
  app.use(contentSecurityPolicy({ hmrPort }));
  app.use(
    createRequestHandler({
      build: loadBuild,
      mode: options.mode,
      getLoadContext: async (req, res) => loadContext(await loadBuild(), req, res, options),
    }),
  );
  return { close: () => vite.close() };
}

/**
 * The context every loader and action receives. The provider comes from this module's
 * react-router, the copy the request handler checks it against (under Vite the app may
 * load another copy); the key comes from the build, the object the loaders read with.
 */
function loadContext(build: PortalServerBuild, req: Request, res: Response, options: PortalOptions) {
  const context = new RouterContextProvider();
  context.set(build.portalContext, {
    apiBaseUrl: options.apiBaseUrl,
    temporalUiUrl: options.temporalUiUrl,
    // The id this request answers under (the API's request-context middleware may have
    // assigned one), else the caller's, so the portal's API calls log under the same id.
    requestId: res.get('x-request-id') ?? req.get('x-request-id'),
    cspNonce: cspNonceOf(res),
    sessionSecret: options.sessionSecret as string,
    // The browser's address (Express applies 'trust proxy'), forwarded to the API so its
    // login rate limit and audit log see the person, not the portal.
    clientIp: req.ip,
  });
  return context;
}

/**
 * Mounted right before React Router's handler (after the static files, which need no
 * policy): a fresh nonce per request in `res.locals.cspNonce`, and the page's policy.
 * web/app/entry.server.tsx puts the nonce (through the load context) on every inline
 * script React, React Router and Mantine render; no other inline script can run.
 */
function contentSecurityPolicy(options: { hmrPort?: number }): RequestHandler {
  return (_req, res, next) => {
    const nonce = randomBytes(16).toString('base64');
    res.locals.cspNonce = nonce;
    res.setHeader('Content-Security-Policy', portalCsp(nonce, options.hmrPort));
    next();
  };
}

function cspNonceOf(res: Response): string {
  const nonce: unknown = res.locals.cspNonce;
  if (typeof nonce !== 'string') throw new Error('No CSP nonce: the contentSecurityPolicy middleware must run first.');
  return nonce;
}

/** The portal's policy; `hmrPort` only in development. */
function portalCsp(nonce: string, hmrPort?: number): string {
  return [
    "default-src 'self'",
    // Scripts: the app's own files, plus inline scripts carrying this response's nonce
    // (React Router's hydration data and module loader, scroll restoration, React's
    // streaming scripts, Mantine's color-scheme script).
    `script-src 'self' 'nonce-${nonce}'`,
    // Styles stay 'unsafe-inline'. Mantine's <style> elements could take a nonce
    // (MantineProvider getStyleNonce), but the server-rendered HTML is full of style=""
    // attributes (Mantine's style props and CSS variables, React's style prop), and a
    // nonce cannot allow an attribute; with a nonce in style-src browsers ignore
    // 'unsafe-inline', so those attributes would be blocked. Splitting into
    // style-src-elem (nonce) + style-src-attr ('unsafe-inline') would need the nonce in
    // the browser too, because Mantine inserts <style> elements after hydration
    // (responsive style props, the color-scheme switch). Scripts are what must be strict.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    // Development: Vite's client opens its live-reload WebSocket on its own port, on
    // whichever loopback name the page was opened with.
    ["connect-src 'self'", ...(hmrPort ? [`ws://127.0.0.1:${hmrPort}`, `ws://localhost:${hmrPort}`] : [])].join(' '),
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

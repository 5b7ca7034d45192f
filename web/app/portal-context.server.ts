import { createContext } from 'react-router';

/**
 * What the server hands every loader and action. Loaders never read process.env:
 * api/portal.ts parses configuration once and passes it in through here.
 */
export interface PortalContext {
  /** Base URL loaders and actions call the API with, e.g. http://127.0.0.1:3000. */
  apiBaseUrl: string;
  /** Temporal Web UI, for operators following an operation into its workflow. */
  temporalUiUrl: string;
  /** The incoming request's x-request-id, forwarded to the API so logs line up. */
  requestId: string | undefined;
  /**
   * This response's content-security-policy nonce (api/portal.ts makes a fresh one per
   * request). entry.server.tsx puts it on the inline scripts; loaders have no use for it.
   */
  cspNonce: string;
  /** SESSION_SECRET, which signs the session cookie (session.server.ts). Never sent to the browser. */
  sessionSecret: string;
  /** The browser's IP address as the API process saw it; sent on as X-Forwarded-For. */
  clientIp: string | undefined;
}

/**
 * The key loaders read the portal context with. React Router looks values up by the
 * key object itself, so api/portal.ts takes this very object from the server build.
 */
export const portalContext = createContext<PortalContext>();

import { createContext, useContext } from 'react';

/**
 * The current response's content-security-policy nonce, provided by entry.server.tsx
 * while it renders a document. It stays out of loader data, so it is never serialized
 * into hydration data or `.data` responses.
 *
 * Undefined in the browser: the inline scripts that needed it have run by then. Elements
 * that carry it must tell React not to compare it while hydrating (suppressHydrationWarning,
 * as React Router's <Scripts> and <ScrollRestoration> do themselves).
 */
export const CspNonceContext = createContext<string | undefined>(undefined);

export function useCspNonce(): string | undefined {
  return useContext(CspNonceContext);
}

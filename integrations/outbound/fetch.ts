// A fetch for calls to addresses tenants give Atrium: undici's fetch over an Agent whose every
// connection goes through the outbound guard. Redirects are followed by the same Agent, so each
// hop is checked too. Clients that take a fetch (openid-client's customFetch) get this one.
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { OutboundGuard } from './guard.ts';

export type OutboundFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface OutboundClient {
  fetch: OutboundFetch;
  /** Ends pooled connections; call once when the process stops. */
  close(): Promise<void>;
}

export interface OutboundClientOptions {
  /** How long establishing a connection (TCP and TLS) may take. Default 10 s. */
  connectTimeoutMs?: number;
}

export function createOutboundClient(guard: OutboundGuard, options: OutboundClientOptions = {}): OutboundClient {
  const connect = buildConnector({ lookup: guard.lookup, timeout: options.connectTimeoutMs ?? 10_000 });
  const dispatcher = new Agent({
    connect(connectOptions, callback) {
      // Sockets do no lookup for a literal address (http://10.0.0.5/), so it is checked here,
      // before connecting; names are checked by guard.lookup when the socket resolves them.
      const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(host.replace(/%.*$/, '')) === 0) {
        connect(connectOptions, callback);
        return;
      }
      guard.resolve(host).then(
        () => connect(connectOptions, callback),
        (error: unknown) => callback(error as Error, null),
      );
    },
  });
  return {
    // undici's fetch is the one Node ships, newer; its types differ from the global ones only
    // in details callers never touch.
    fetch: (input, init) => undiciFetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
    close: () => dispatcher.close(),
  };
}

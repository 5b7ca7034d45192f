// A small protected resource server for the sync tests: a provider's API on a loopback port. It
// checks each access token by introspection at the test provider (oidc-provider's introspection
// endpoint, as the token's client) and serves a list of records in pages (`?cursor=<page>`, the
// next one named by `next_cursor`). Tests change the records between runs, make the next requests
// answer `429` with `Retry-After`, and hold a page open (to kill a worker in the middle of paging).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectorTestProvider } from './connector-provider.ts';

export interface TestRecord {
  id: string;
  [field: string]: unknown;
}

export interface ResourceRequest {
  /** 1-based page number asked for. */
  page: number;
  status: number;
  at: number;
  /** The bearer token it carried (a test server: tests compare which token each run used). */
  token: string | null;
}

export interface ResourceServer {
  /** The API base URL to give the provider (`http://127.0.0.1:<port>/api`). */
  apiBaseUrl: string;
  /** The records served at `/api/records`, in order. */
  records: TestRecord[];
  pageSize: number;
  /** Every request to `/api/records`, in order. */
  requests: ResourceRequest[];
  /** How many requests asked for `page` (answered or not). */
  pageRequests(page: number): number;
  /** The next `count` requests answer 429 with `Retry-After: <seconds>`. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  /** Requests for `page` wait until the returned function is called; resolves `reached` when one arrives. */
  holdPage(page: number): { reached: Promise<void>; release: () => void };
  stop(): Promise<void>;
}

export async function startResourceServer(options: {
  provider: ConnectorTestProvider;
  records: TestRecord[];
  pageSize: number;
}): Promise<ResourceServer> {
  const requests: ResourceRequest[] = [];
  const asked = new Map<number, number>();
  let limited = { count: 0, seconds: 0 };
  const holds = new Map<number, { reached: () => void; released: Promise<void> }>();

  const state: Pick<ResourceServer, 'records' | 'pageSize'> = { records: options.records, pageSize: options.pageSize };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://resource.test');
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/api/records') return answer(404, { error: 'not_found' });
      const page = Number(url.searchParams.get('cursor') ?? '1');
      asked.set(page, (asked.get(page) ?? 0) + 1);
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const record = (status: number) => requests.push({ page, status, at: Date.now(), token: token ?? null });

      if (!token || !(await options.provider.introspect(token))) {
        record(401);
        return answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      if (limited.count > 0) {
        limited.count -= 1;
        record(429);
        return answer(429, { error: 'rate_limited' }, { 'retry-after': String(limited.seconds) });
      }
      const hold = holds.get(page);
      if (hold) {
        hold.reached();
        await hold.released;
      }
      const start = (page - 1) * state.pageSize;
      const items = state.records.slice(start, start + state.pageSize);
      const more = start + state.pageSize < state.records.length;
      record(200);
      answer(200, { items, next_cursor: more ? String(page + 1) : null });
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiBaseUrl: `http://127.0.0.1:${port}/api`,
    get records() {
      return state.records;
    },
    set records(value) {
      state.records = value;
    },
    get pageSize() {
      return state.pageSize;
    },
    set pageSize(value) {
      state.pageSize = value;
    },
    requests,
    pageRequests: (page) => asked.get(page) ?? 0,
    rateLimitNext(count, retryAfterSeconds) {
      limited = { count, seconds: retryAfterSeconds };
    },
    holdPage(page) {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.set(page, { reached, released });
      return {
        reached: reachedPromise,
        release: () => {
          holds.delete(page);
          release();
        },
      };
    },
    async stop() {
      for (const hold of holds.values()) hold.reached();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

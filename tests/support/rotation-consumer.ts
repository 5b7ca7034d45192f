// A real HTTP server on loopback standing for the services that use a tenant's secret: each
// path (`/<consumer>`) is one consumer's verify hook (activities/secret-rotation/consumers.ts).
// `update` and `rollback` make the presented value the one the consumer uses; `verify` answers
// 204 only if the presented value is the one it uses (and it is not told to refuse). The values
// it holds are the test's to compare; it never prints them.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConsumerState {
  /** The value the consumer uses now. */
  current: string | null;
  /** Refuse every verify (a consumer that does not work with the new value). */
  refuseVerify: boolean;
  calls: Array<{ phase: string; version: number }>;
}

export interface RotationConsumers {
  url(consumer: string): string;
  state(consumer: string): ConsumerState;
  stop(): Promise<void>;
}

export async function startRotationConsumers(): Promise<RotationConsumers> {
  const states = new Map<string, ConsumerState>();
  const state = (name: string) => {
    let found = states.get(name);
    if (!found) states.set(name, (found = { current: null, refuseVerify: false, calls: [] }));
    return found;
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const consumer = state(decodeURIComponent((req.url ?? '/').slice(1)));
      const value = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
      let call: { phase?: string; version?: number } = {};
      try {
        call = JSON.parse(body) as typeof call;
      } catch {
        // answered 400 below
      }
      if (req.method !== 'POST' || !value || !call.phase) return void res.writeHead(400).end();
      consumer.calls.push({ phase: call.phase, version: call.version ?? 0 });
      if (call.phase === 'update' || call.phase === 'rollback') {
        consumer.current = value;
        return void res.writeHead(204).end();
      }
      if (call.phase === 'verify')
        return void res.writeHead(!consumer.refuseVerify && consumer.current === value ? 204 : 403).end();
      res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (consumer) => `http://127.0.0.1:${port}/${encodeURIComponent(consumer)}`,
    state,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// A real webhook receiver on loopback for the tests: it verifies every request with the
// `standardwebhooks` library (the verifier tenants' receivers use, not Atrium's code) and
// answers as told — fail the next N requests, answer slowly, answer 410 Gone, or send a
// long body — and records every request it got. Given a clock, it verifies as of that
// clock's time (the library reads Date.now(), mocked for the call): with the worker's
// accelerated signing clock, retries seconds apart are minutes apart for both sides.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mock } from 'node:test';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** Which of the receiver's secrets verified it (by index), or null when none did. */
  verifiedWith: number | null;
  status: number;
  /** When it arrived, on the receiver's clock. */
  receivedAt: Date;
  /** Whether the answer was written (false: the sender was gone before it, e.g. killed). */
  answered: boolean;
}

/** Runs `fn` (synchronous) with Date reading `now`: how the library is made to verify "as of" a time. */
export function atTime<T>(now: Date, fn: () => T): T {
  mock.timers.enable({ apis: ['Date'], now });
  try {
    return fn();
  } finally {
    mock.timers.reset();
  }
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** The secrets to verify with (set after the endpoint was created). */
  secrets: string[];
  /** Answer the next `count` requests with `status` (default 503) before succeeding again. */
  failNext(count: number, status?: number): void;
  /** Answer every request from now on with this status (410 for Gone); null to stop. */
  always(status: number | null): void;
  /** Wait this long before answering. */
  delayMs: number;
  /** The body of successful answers. */
  answerBody: string;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(options: { clock?: () => Date } = {}): Promise<WebhookReceiver> {
  const clock = options.clock ?? (() => new Date());
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let fixed: number | null = null;
  const receiver: WebhookReceiver = {
    url: '',
    requests: [],
    secrets: [],
    failNext(count, status = 503) {
      failures = { count, status };
    },
    always(status) {
      fixed = status;
    },
    delayMs: 0,
    answerBody: 'ok',
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const receivedAt = clock();
      const verifiedWith = receiver.secrets.findIndex((secret) => {
        try {
          atTime(receivedAt, () => new Webhook(secret).verify(body, req.headers as Record<string, string>));
          return true;
        } catch {
          return false;
        }
      });
      let status = 200;
      if (fixed !== null) status = fixed;
      else if (failures.count > 0) {
        failures.count -= 1;
        status = failures.status;
      }
      const received: ReceivedRequest = {
        headers: req.headers,
        body,
        verifiedWith: verifiedWith < 0 ? null : verifiedWith,
        status,
        receivedAt,
        answered: false,
      };
      receiver.requests.push(received);
      // Closed before the answer was written: the sender is gone (its connection reset).
      let gone = false;
      res.on('close', () => (gone ||= !res.writableFinished));
      // Unref'd: a held answer whose sender died must not keep the test process alive.
      setTimeout(() => {
        if (gone || !res.writable) return;
        res
          .writeHead(status, { 'content-type': 'text/plain' })
          .end(status === 200 ? receiver.answerBody : `status ${status}`);
        received.answered = true;
      }, receiver.delayMs).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}

/** The `webhook-id` a request carried: the event's id, the same on every attempt and replay. */
export const webhookIdOf = (request: ReceivedRequest): string => request.headers['webhook-id'] as string;

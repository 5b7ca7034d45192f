// A real webhook receiver on loopback for the tests: it verifies every request with the
// `standardwebhooks` library (the verifier tenants' receivers use, not Atrium's code) and
// answers as told — fail the next N requests, answer slowly, answer 410 Gone, or send a
// long body — and records every request it got.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** Which of the receiver's secrets verified it (by index), or null when none did. */
  verifiedWith: number | null;
  status: number;
  /** When the whole body had arrived (ms since the epoch): the benchmark's arrival time. */
  receivedAt: number;
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

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
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
      const receivedAt = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const verifiedWith = receiver.secrets.findIndex((secret) => {
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
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
      receiver.requests.push({
        headers: req.headers,
        body,
        verifiedWith: verifiedWith < 0 ? null : verifiedWith,
        status,
        receivedAt,
      });
      setTimeout(() => {
        if (!res.writable) return;
        res
          .writeHead(status, { 'content-type': 'text/plain' })
          .end(status === 200 ? receiver.answerBody : `status ${status}`);
      }, receiver.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}

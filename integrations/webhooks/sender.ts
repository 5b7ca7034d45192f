// One delivery attempt to a tenant's endpoint: the body POSTed through the outbound client
// (every connection checked by the outbound guard, redirects not followed), signed at send
// time (signing.ts), with a time limit. It never throws for what the endpoint or the network
// did: the attempt's record says what happened — status, duration, the first kilobyte of the
// answer — and what it means for delivery (`outcome`).
import type { OutboundFetch } from '../outbound/fetch.ts';
import { findOutboundRefusal } from '../outbound/refused.ts';
import { signDelivery } from './signing.ts';

/** How much of an answer the delivery log keeps. */
export const RESPONSE_EXCERPT_BYTES = 1024;

export type AttemptOutcome =
  /** 2xx: delivered. */
  | 'delivered'
  /** 410 Gone: the receiver says the endpoint is gone for good; disable it. */
  | 'gone'
  /** The URL's address is one Atrium never calls (the guard refused it): retrying cannot help. */
  | 'refused'
  /** Anything else (another status, a timeout, a network error): try again later. */
  | 'retry';

export interface AttemptRecord {
  outcome: AttemptOutcome;
  /** The HTTP status; null when no answer came. */
  status: number | null;
  durationMs: number;
  /** The first RESPONSE_EXCERPT_BYTES of the answer's body (UTF-8, invalid bytes replaced). */
  responseExcerpt: string;
  /** What went wrong without an answer (timeout, refused address, connection error). */
  error: string | null;
  /** The headers sent (the signature included), for the log. */
  headers: Record<string, string>;
}

export interface SendInput {
  url: string;
  /** The event's id: `webhook-id`, the same on every attempt and every replay. */
  id: string;
  body: string;
  /** Every secret valid now, the current one first. */
  secrets: readonly string[];
  sentAt: Date;
  timeoutMs: number;
}

export async function sendWebhook(fetch: OutboundFetch, input: SendInput): Promise<AttemptRecord> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Atrium-Webhooks/1',
    ...signDelivery({ id: input.id, sentAt: input.sentAt, body: input.body, secrets: input.secrets }),
  };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(input.url, {
      method: 'POST',
      headers,
      body: input.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
    const responseExcerpt = await readExcerpt(response);
    const status = response.status;
    const outcome: AttemptOutcome = status >= 200 && status < 300 ? 'delivered' : status === 410 ? 'gone' : 'retry';
    return { outcome, status, durationMs: elapsed(), responseExcerpt, error: null, headers };
  } catch (error) {
    const refusal = findOutboundRefusal(error);
    const message = refusal
      ? refusal.message
      : error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${input.timeoutMs} ms`
        : describe(error);
    return {
      outcome: refusal ? 'refused' : 'retry',
      status: null,
      durationMs: elapsed(),
      responseExcerpt: '',
      error: message,
      headers,
    };
  }
}

/** Reads at most RESPONSE_EXCERPT_BYTES of the body, then lets the rest go. */
async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short still leaves what arrived.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ? `${error.message} (${cause.code}: ${cause.message ?? ''})` : error.message;
}

// The request body exactly as it arrived, kept beside the parsed JSON for routes that verify a
// signature over the bytes (Stripe webhooks): re-serializing the parsed body would not match.
import type { Request } from 'express';

const RAW_BODY = Symbol('atrium.rawBody');

type WithRawBody = Request & { [RAW_BODY]?: Buffer };

export function setRawBody(req: Request, body: Buffer): void {
  (req as WithRawBody)[RAW_BODY] = body;
}

/** The body's bytes, or undefined when none was parsed (no body, or not JSON). */
export function rawBodyOf(req: Request): Buffer | undefined {
  return (req as WithRawBody)[RAW_BODY];
}

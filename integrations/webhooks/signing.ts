// Standard Webhooks signing (https://www.standardwebhooks.com): each delivery attempt is
// signed when it is sent, so a retry hours later carries a fresh timestamp that receivers'
// verifiers (which refuse timestamps older than five minutes) accept. The signed content is
// `<webhook-id>.<webhook-timestamp>.<body>`, the MAC HMAC-SHA256 with the secret's key (the
// base64 after `whsec_`), written `v1,<base64>`; during a rotation's grace period the header
// carries one signature per valid secret, separated by spaces, and a receiver that knows
// either one accepts the message.
import { createHmac } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The HMAC key of a `whsec_…` secret. */
function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('A webhook signing secret starts with whsec_.');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/**
 * The three headers of one attempt: `id` is the event's id (the same on every attempt, so
 * receivers can deduplicate), `sentAt` the moment of sending, `secrets` every secret valid
 * now (the current one first).
 */
export function signDelivery(input: {
  id: string;
  sentAt: Date;
  body: string;
  secrets: readonly string[];
}): SignedHeaders {
  if (input.secrets.length === 0) throw new Error('A delivery is signed with at least one secret.');
  const timestamp = String(Math.floor(input.sentAt.getTime() / 1000));
  const content = `${input.id}.${timestamp}.${input.body}`;
  const signatures = input.secrets.map(
    (secret) => `v1,${createHmac('sha256', keyOf(secret)).update(content, 'utf8').digest('base64')}`,
  );
  return { 'webhook-id': input.id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

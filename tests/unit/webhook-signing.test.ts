// Webhook signing against the Standard Webhooks reference library (`standardwebhooks`, the
// verifier receivers use), not against Atrium's own code: a fresh signature verifies; a
// signature made more than five minutes ago is refused, and the same message signed afresh
// at the retry's time verifies again; during a rotation either secret verifies; a wrong
// secret or a changed body does not.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { signDelivery } from '../../integrations/webhooks/signing.ts';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ type: 'member.joined', timestamp: '2026-12-01T10:00:00Z', data: { role: 'viewer' } });
const id = 'evt_4f3c1e0a-9a51-4a57-8f1e-3c1b7d2f0a11';

describe('webhook signing (Standard Webhooks)', () => {
  it('verifies with the reference library', () => {
    const secret = newSecret();
    const headers = signDelivery({ id, sentAt: new Date(), body, secrets: [secret] });
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
    assert.equal(headers['webhook-id'], id);
  });

  it('refuses a stale signature, and the same message signed afresh at retry time verifies', () => {
    const secret = newSecret();
    const firstAttempt = signDelivery({ id, sentAt: new Date(Date.now() - 6 * 60_000), body, secrets: [secret] });
    assert.throws(() => new Webhook(secret).verify(body, { ...firstAttempt }), WebhookVerificationError);
    const retry = signDelivery({ id, sentAt: new Date(), body, secrets: [secret] });
    assert.deepEqual(new Webhook(secret).verify(body, { ...retry }), JSON.parse(body));
    assert.equal(retry['webhook-id'], firstAttempt['webhook-id'], 'the same id on every attempt');
  });

  it('carries one signature per valid secret during a rotation: either verifies', () => {
    const [current, previous] = [newSecret(), newSecret()];
    const headers = signDelivery({ id, sentAt: new Date(), body, secrets: [current, previous] });
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const secret of [current, previous]) new Webhook(secret).verify(body, { ...headers });
    const after = signDelivery({ id, sentAt: new Date(), body, secrets: [current] });
    new Webhook(current).verify(body, { ...after });
    assert.throws(() => new Webhook(previous).verify(body, { ...after }), WebhookVerificationError);
  });

  it('does not verify with another secret or a changed body', () => {
    const secret = newSecret();
    const headers = signDelivery({ id, sentAt: new Date(), body, secrets: [secret] });
    assert.throws(() => new Webhook(newSecret()).verify(body, { ...headers }), WebhookVerificationError);
    assert.throws(() => new Webhook(secret).verify(`${body} `, { ...headers }), WebhookVerificationError);
  });

  it('refuses to sign without a secret, or with one that is not whsec_', () => {
    assert.throws(() => signDelivery({ id, sentAt: new Date(), body, secrets: [] }), /at least one secret/);
    assert.throws(() => signDelivery({ id, sentAt: new Date(), body, secrets: ['plain'] }), /whsec_/);
  });
});

// One delivery attempt against a real receiver on loopback, through the outbound client
// (loopback opened as in development and tests): the receiver verifies the signature with
// `standardwebhooks`; the attempt records status, duration and the first kilobyte of the
// answer; 410 means gone, other failures and timeouts mean retry; without
// OUTBOUND_ALLOW_LOOPBACK the guard refuses the address at connect time and nothing arrives.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { OutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../../integrations/outbound/guard.ts';
import { RESPONSE_EXCERPT_BYTES, sendWebhook } from '../../integrations/webhooks/sender.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

describe('webhook sender', () => {
  let receiver: WebhookReceiver;
  let loopback: OutboundClient;
  let production: OutboundClient;
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const body = JSON.stringify({ id: 'evt_1', type: 'member.joined', data: { role: 'viewer' } });

  before(async () => {
    receiver = await startWebhookReceiver();
    receiver.secrets = [secret];
    loopback = createOutboundClient(createOutboundGuard({ allowLoopback: true }));
    production = createOutboundClient(createOutboundGuard({ allowLoopback: false }));
  });
  after(async () => {
    await loopback?.close();
    await production?.close();
    await receiver?.stop();
  });

  const send = (client: OutboundClient, overrides: Partial<Parameters<typeof sendWebhook>[1]> = {}) =>
    sendWebhook(client.fetch, {
      url: receiver.url,
      id: 'evt_1',
      body,
      secrets: [secret],
      sentAt: new Date(),
      timeoutMs: 2_000,
      ...overrides,
    });

  it('delivers a signed request the standardwebhooks verifier accepts', async () => {
    receiver.answerBody = 'x'.repeat(5_000);
    const attempt = await send(loopback);
    receiver.answerBody = 'ok';
    assert.equal(attempt.outcome, 'delivered');
    assert.equal(attempt.status, 200);
    assert.equal(attempt.responseExcerpt.length, RESPONSE_EXCERPT_BYTES, 'the first kilobyte of the answer');
    assert.ok(attempt.durationMs >= 0);
    const got = receiver.requests.at(-1)!;
    assert.equal(got.verifiedWith, 0);
    assert.equal(got.body, body);
    assert.equal(got.headers['webhook-id'], 'evt_1');
  });

  it('says retry for a 503 and for a receiver too slow to answer, gone for a 410', async () => {
    receiver.failNext(1, 503);
    const failed = await send(loopback);
    assert.deepEqual([failed.outcome, failed.status, failed.responseExcerpt], ['retry', 503, 'status 503']);
    receiver.delayMs = 1_000;
    const slow = await send(loopback, { timeoutMs: 200 });
    receiver.delayMs = 0;
    assert.deepEqual([slow.outcome, slow.status, slow.error], ['retry', null, 'no answer within 200 ms']);
    receiver.always(410);
    const gone = await send(loopback);
    receiver.always(null);
    assert.deepEqual([gone.outcome, gone.status], ['gone', 410]);
  });

  it('is refused at connect time without OUTBOUND_ALLOW_LOOPBACK: nothing reaches the receiver', async () => {
    const before = receiver.requests.length;
    const attempt = await send(production);
    assert.equal(attempt.outcome, 'refused');
    assert.match(attempt.error ?? '', /127\.0\.0\.1 is a loopback address/);
    assert.equal(receiver.requests.length, before);
  });
});

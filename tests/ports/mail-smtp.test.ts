// The SMTP adapter against a real SMTP server (smtp-server, in process): the port's
// contract, then how delivery failures are classified.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MailDeliveryError } from '../../integrations/mail/port.ts';
import { createSmtpMailer } from '../../integrations/mail/smtp.ts';
import { freePort } from '../../scripts/free-port.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import { mailerContract } from './mail.contract.ts';

const FROM = 'Atrium <no-reply@atrium.test>';

mailerContract('smtp', async () => {
  const capture = await startSmtpCapture({ auth: { user: 'atrium', pass: 's3cret pass' } });
  return {
    mailer: createSmtpMailer({ url: capture.url, from: FROM }),
    delivered: () => Promise.resolve(capture.mails),
    stop: () => capture.stop(),
  };
});

describe('smtp adapter: delivery failures', () => {
  let capture: SmtpCapture;
  before(async () => {
    capture = await startSmtpCapture({
      auth: { user: 'atrium', pass: 'right' },
      rejectRecipients: ['nobody@atrium.test'],
    });
  });
  after(() => capture.stop());

  test('authenticates with the credentials in SMTP_URL and sends From as configured', async () => {
    const mailer = createSmtpMailer({ url: capture.url, from: FROM });
    await mailer.send({ to: 'someone@atrium.test', subject: 'Hi', text: 'Hi' });
    await mailer.close();
    const mail = capture.mailsTo('someone@atrium.test')[0];
    assert.equal(mail?.authUser, 'atrium');
    assert.equal(mail?.from, 'no-reply@atrium.test');
  });

  test('refused credentials: permanent, and the message names the setting but not the password', async () => {
    const wrong = capture.url.replace(':right@', ':wrong-password@');
    const mailer = createSmtpMailer({ url: wrong, from: FROM });
    const error = await mailer.send({ to: 'someone@atrium.test', subject: 'Hi', text: 'Hi' }).catch((e: unknown) => e);
    await mailer.close();
    assert.ok(error instanceof MailDeliveryError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /refused the credentials in SMTP_URL/);
    assert.doesNotMatch(error.message, /wrong-password/);
  });

  test('a recipient the server rejects (550): permanent', async () => {
    const mailer = createSmtpMailer({ url: capture.url, from: FROM });
    const error = await mailer.send({ to: 'nobody@atrium.test', subject: 'Hi', text: 'Hi' }).catch((e: unknown) => e);
    await mailer.close();
    assert.ok(error instanceof MailDeliveryError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /rejected the mail \(550\)/);
  });

  test('no server listening: retryable, and the message says where it tried', async () => {
    const port = await freePort();
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${port}`, from: FROM });
    const error = await mailer.send({ to: 'someone@atrium.test', subject: 'Hi', text: 'Hi' }).catch((e: unknown) => e);
    await mailer.close();
    assert.ok(error instanceof MailDeliveryError);
    assert.equal(error.retryable, true);
    assert.match(error.message, new RegExp(`smtp://127\\.0\\.0\\.1:${port}.*Check SMTP_URL`));
    await assert.rejects(mailer.verify(), MailDeliveryError);
  });
});

// What every mail adapter must do, whatever carries the mail. Each adapter's test file
// calls `mailerContract` with a way to build the adapter and to read back what it delivered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Mailer } from '../../integrations/mail/port.ts';

export interface DeliveredMail {
  to: string[];
  subject: string;
  text: string;
  messageId: string | undefined;
}

export interface MailerUnderTest {
  mailer: Mailer;
  /** What reached the other side (the SMTP server, the log), oldest first. */
  delivered(): Promise<DeliveredMail[]>;
  stop(): Promise<void>;
}

export function mailerContract(name: string, start: () => Promise<MailerUnderTest>): void {
  describe(`mail port contract: ${name}`, () => {
    let subject: MailerUnderTest;
    before(async () => {
      subject = await start();
    });
    after(async () => {
      await subject.mailer.close();
      await subject.stop();
    });

    test('verify() succeeds against a working transport', async () => {
      await subject.mailer.verify();
    });

    test('a mail arrives with its recipient, subject and text intact', async () => {
      const text = 'Hello,\n\nconfirm your address: https://atrium.test/verify?token=abc\n\nÜmlauts and ✓ survive.';
      const sent = await subject.mailer.send({ to: 'first@contract.test', subject: 'Verify your email', text });
      assert.match(sent.messageId, /^<.+@.+>$/);
      const mail = (await subject.delivered()).find((m) => m.to.includes('first@contract.test'));
      assert.ok(mail, 'the mail was delivered');
      assert.equal(mail.subject, 'Verify your email');
      assert.equal(mail.text.trim(), text);
      assert.equal(mail.messageId, sent.messageId);
    });

    test('a caller-chosen Message-ID is kept, so a retried send is recognisable', async () => {
      const sent = await subject.mailer.send({
        to: 'second@contract.test',
        subject: 'Welcome',
        text: 'Welcome aboard.',
        messageId: 'welcome.tenant-123@atrium.test',
      });
      assert.equal(sent.messageId, '<welcome.tenant-123@atrium.test>');
      const mail = (await subject.delivered()).find((m) => m.to.includes('second@contract.test'));
      assert.equal(mail?.messageId, '<welcome.tenant-123@atrium.test>');
    });

    test('mails to different people stay separate, in order', async () => {
      await subject.mailer.send({ to: 'a@contract.test', subject: 'One', text: '1' });
      await subject.mailer.send({ to: 'b@contract.test', subject: 'Two', text: '2' });
      const subjects = (await subject.delivered())
        .filter((m) => m.to.includes('a@contract.test') || m.to.includes('b@contract.test'))
        .map((m) => `${m.to.join(',')}:${m.subject}`);
      assert.deepEqual(subjects, ['a@contract.test:One', 'b@contract.test:Two']);
    });
  });
}

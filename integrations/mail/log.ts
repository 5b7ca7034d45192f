// The log adapter, the embedded default: a mail is written to the log as one JSON line
// instead of being sent, so `npm start` needs no mail server and the developer can follow a
// verification or reset link from the console. Never use it where the log is shared: the
// links in those mails grant access.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logging/logger.ts';
import type { MailMessage, Mailer, SentMail } from './port.ts';

export function createLogMailer({ logger, from }: { logger: Logger; from: string }): Mailer {
  return {
    kind: 'log',
    send(message: MailMessage): Promise<SentMail> {
      const messageId = `<${message.messageId ?? `${randomUUID()}@atrium.local`}>`;
      logger.info('Mail not sent (no SMTP_URL): logged instead', {
        mail: { messageId, from, to: message.to, subject: message.subject, text: message.text },
      });
      return Promise.resolve({ messageId });
    },
    verify: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

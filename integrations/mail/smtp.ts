// The SMTP adapter (nodemailer). SMTP_URL carries host, port and credentials:
// smtp://user:pass@host:587 (STARTTLS when the server offers it) or smtps://host:465.
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { MailMessage, Mailer, SentMail } from './port.ts';
import { MailDeliveryError } from './port.ts';

export interface SmtpMailerOptions {
  url: string;
  /** The From header, e.g. `Atrium <no-reply@example.com>`. */
  from: string;
}

export function createSmtpMailer({ url, from }: SmtpMailerOptions): Mailer {
  const transport: Transporter = nodemailer.createTransport(url);
  const server = describeServer(url);
  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<SentMail> {
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId: message.messageId ? `<${message.messageId}>` : undefined,
        });
        return { messageId: info.messageId };
      } catch (error) {
        throw toDeliveryError(error, server);
      }
    },
    async verify(): Promise<void> {
      try {
        await transport.verify();
      } catch (error) {
        throw toDeliveryError(error, server);
      }
    },
    close(): Promise<void> {
      transport.close();
      return Promise.resolve();
    },
  };
}

/** host:port of the URL, never its credentials (this ends up in logs and problems). */
function describeServer(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || (parsed.protocol === 'smtps:' ? 465 : 587)}`;
}

/**
 * SMTP reply codes 5xx are permanent (a retry gets the same answer: bad address, refused
 * credentials); 4xx and connection failures are worth retrying.
 */
function toDeliveryError(error: unknown, server: string): MailDeliveryError {
  const details = error as { responseCode?: number; code?: string; message?: string };
  const reply = details.responseCode;
  if (details.code === 'EAUTH')
    return new MailDeliveryError(`The SMTP server ${server} refused the credentials in SMTP_URL.`, {
      retryable: false,
      cause: error,
    });
  if (reply !== undefined && reply >= 500)
    return new MailDeliveryError(`The SMTP server ${server} rejected the mail (${reply}): ${details.message}`, {
      retryable: false,
      cause: error,
    });
  return new MailDeliveryError(
    `Could not hand the mail to the SMTP server ${server} (${details.code ?? reply ?? 'error'}): ${details.message}. Check SMTP_URL and that the server is up.`,
    { retryable: true, cause: error },
  );
}

// Builds the mailer the configuration asks for: SMTP when SMTP_URL is set, else the log.
import type { MailConfig } from '../../config/mail.ts';
import type { Logger } from '../../logging/logger.ts';
import { createLogMailer } from './log.ts';
import type { Mailer } from './port.ts';
import { createSmtpMailer } from './smtp.ts';

export function selectMailer(config: MailConfig, logger: Logger): Mailer {
  if (config.smtpUrl) return createSmtpMailer({ url: config.smtpUrl, from: config.from });
  return createLogMailer({ logger, from: config.from });
}

// Mail settings, shared by every process that sends mail (the API for account mails, the
// worker for welcome mails). Spread `mailSettings` into the process's schema and call
// `readMailConfig` on the parsed result.
import { z } from 'zod';

export const mailSettings = {
  SMTP_URL: z
    .url({
      protocol: /^smtps?$/,
      error: 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587',
    })
    .optional(),
  MAIL_FROM: z.string().min(3).default('Atrium <no-reply@atrium.local>'),
};

export interface MailConfig {
  /** Unset: mails are written to the log instead of sent. */
  smtpUrl: string | undefined;
  from: string;
}

export function readMailConfig(parsed: { SMTP_URL?: string | undefined; MAIL_FROM: string }): MailConfig {
  return { smtpUrl: parsed.SMTP_URL, from: parsed.MAIL_FROM };
}

// The mail port: how Atrium sends an email (verification links, password resets,
// invitations, welcome mails). Adapters: smtp.ts (any SMTP server) and log.ts (writes the
// mail to the log, the embedded default, so a developer can follow links without a server).

export interface MailMessage {
  to: string;
  subject: string;
  /** Plain-text body; always sent. */
  text: string;
  /** Optional HTML alternative of the same content. */
  html?: string;
  /**
   * A stable Message-ID (without angle brackets) for mails an activity may send again on a
   * retry, so a receiving system can tell the copies apart from distinct mails.
   */
  messageId?: string;
}

export interface SentMail {
  /** The Message-ID the mail went out with, with angle brackets. */
  messageId: string;
}

export interface Mailer {
  /** Which adapter this is, for health reports and logs. */
  readonly kind: 'smtp' | 'log';
  send(message: MailMessage): Promise<SentMail>;
  /** Checks that the server is reachable and accepts the credentials (readiness). */
  verify(): Promise<void>;
  close(): Promise<void>;
}

/** The mail could not be handed to the server; `retryable` says whether trying later may help. */
export class MailDeliveryError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'MailDeliveryError';
    this.retryable = options.retryable;
  }
}

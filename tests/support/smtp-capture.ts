// A real SMTP server in the test process (smtp-server), capturing every mail it accepts,
// parsed with mailparser. Point the API or worker at it with SMTP_URL = capture.url.
// It offers no STARTTLS (loopback only) and accepts any credentials, recording the user.
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | undefined;
  messageId: string | undefined;
  /** The SMTP user the client authenticated as, if it did. */
  authUser: string | undefined;
}

export interface SmtpCapture {
  /** smtp:// URL of the server (with credentials when started with `auth`). */
  url: string;
  mails: CapturedMail[];
  /** Resolves with the first mail (already captured or arriving) that matches. */
  waitForMail(match: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  /** Mails sent to `address`, in order. */
  mailsTo(address: string): CapturedMail[];
  stop(): Promise<void>;
}

export interface SmtpCaptureOptions {
  /** Require these credentials (AUTH PLAIN/LOGIN); anything else is refused with 535. */
  auth?: { user: string; pass: string };
  /** Refuse RCPT TO for these addresses with a permanent 550. */
  rejectRecipients?: string[];
}

export async function startSmtpCapture(options: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
  const mails: CapturedMail[] = [];
  const waiters: Array<{ match: (mail: CapturedMail) => boolean; resolve: (mail: CapturedMail) => void }> = [];
  const server = new SMTPServer({
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass)
        return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.includes(address.address))
        return callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      return callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const mail: CapturedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : undefined,
            messageId: parsed.messageId,
            authUser: typeof session.user === 'string' ? session.user : undefined,
          };
          mails.push(mail);
          for (const waiter of [...waiters]) {
            if (waiter.match(mail)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(mail);
            }
          }
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : '';
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    mails,
    mailsTo: (address) => mails.filter((mail) => mail.to.includes(address)),
    waitForMail(match, timeoutMs = 15_000) {
      const found = mails.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (mail: CapturedMail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `No matching mail within ${timeoutMs} ms; captured: ${JSON.stringify(mails.map((m) => ({ to: m.to, subject: m.subject })))}`,
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

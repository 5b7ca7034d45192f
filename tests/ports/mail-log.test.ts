// The log adapter (the embedded default): the port's contract, read back from the JSON
// lines a real winston logger wrote.
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogMailer } from '../../integrations/mail/log.ts';
import type { DeliveredMail } from './mail.contract.ts';
import { mailerContract } from './mail.contract.ts';

mailerContract('log', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = winston.createLogger({
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return Promise.resolve({
    mailer: createLogMailer({ logger, from: 'Atrium <no-reply@atrium.test>' }),
    delivered: () =>
      Promise.resolve(
        lines
          .map(
            (line) => JSON.parse(line) as { mail?: { to: string; subject: string; text: string; messageId: string } },
          )
          .filter((entry) => entry.mail)
          .map(({ mail }): DeliveredMail => ({
            to: [mail!.to],
            subject: mail!.subject,
            text: mail!.text,
            messageId: mail!.messageId,
          })),
      ),
    stop: () => {
      logger.close();
      return Promise.resolve();
    },
  });
});

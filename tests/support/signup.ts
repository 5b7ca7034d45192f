// Signing up as a person does: POST /api/v1/auth/signup, then the link from the mail it
// sends (read from the in-process SMTP capture), confirmed at POST /api/v1/auth/signup/confirm.
// Nothing is written to the database behind the API's back.
import assert from 'node:assert/strict';
import type { SignupRequest } from '../../contracts/index.ts';
import { SignupAccepted, SignupRequested } from '../../contracts/index.ts';
import type { JsonResponse } from './api-client.ts';
import { request } from './api-client.ts';
import type { CapturedMail, SmtpCapture } from './smtp-capture.ts';

export const SIGNUP_LINK_SUBJECT = /finish signing up/i;
export const ACCOUNT_EXISTS_SUBJECT = /tried to sign up/i;

/** The token of the `/signup/confirm` link in a mail (any public URL in front of it). */
export function signupTokenIn(mail: CapturedMail): string {
  const match = /\/signup\/confirm\?token=([\w%-]+)/.exec(mail.text);
  assert.ok(match, `a /signup/confirm link in: ${mail.text}`);
  return decodeURIComponent(match[1]!);
}

/** The path and query of the mail's `/signup/confirm` link (for a browser on the test portal). */
export function signupLinkIn(mail: CapturedMail): string {
  return `/signup/confirm?token=${encodeURIComponent(signupTokenIn(mail))}`;
}

/**
 * Asks for the signup and waits for its mail (the newest signup link to that address that the
 * capture had not seen before the request).
 */
export async function requestSignup(
  baseUrl: string,
  smtp: SmtpCapture,
  body: SignupRequest,
): Promise<{ requested: JsonResponse; mail: CapturedMail }> {
  const seen = new Set(smtp.mails);
  const requested = await request(baseUrl, 'POST', '/api/v1/auth/signup', { json: body });
  assert.equal(requested.status, 202, JSON.stringify(requested.body));
  SignupRequested.parse(requested.body);
  const mail = await smtp.waitForMail(
    (m) =>
      !seen.has(m) &&
      m.to.some((to) => to.toLowerCase() === body.email.toLowerCase()) &&
      SIGNUP_LINK_SUBJECT.test(m.subject),
  );
  return { requested, mail };
}

/** The whole signup through the API: request, mailed link, confirm. Returns the confirm's 202 body. */
export async function signUp(baseUrl: string, smtp: SmtpCapture, body: SignupRequest): Promise<SignupAccepted> {
  const { mail } = await requestSignup(baseUrl, smtp, body);
  const confirmed = await request(baseUrl, 'POST', '/api/v1/auth/signup/confirm', {
    json: { token: signupTokenIn(mail) },
  });
  assert.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
  return SignupAccepted.parse(confirmed.body);
}

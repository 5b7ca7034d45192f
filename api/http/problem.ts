// RFC 9457 problem details. Every error the API returns is one of these types; the `type`
// URIs are stable and clients may switch on them.
import type { ErrorRequestHandler } from 'express';
import type { ZodOpenApiResponsesObject } from 'zod-openapi';
import type { FieldError } from '../../contracts/problems.ts';
import { Problem, problemTypeUri } from '../../contracts/problems.ts';
import type { Logger } from '../../logging/logger.ts';

export const PROBLEM_TYPES = {
  malformedJson: { slug: 'malformed-json', title: 'The request body is not valid JSON', status: 400 },
  badRequest: { slug: 'bad-request', title: 'The request is not valid', status: 400 },
  unauthenticated: { slug: 'unauthenticated', title: 'Authentication is required', status: 401 },
  invalidCredentials: { slug: 'invalid-credentials', title: 'The email or password is not correct', status: 401 },
  invalidRefreshToken: { slug: 'invalid-refresh-token', title: 'The refresh token is not valid', status: 401 },
  forbidden: { slug: 'forbidden', title: 'Your role does not allow this', status: 403 },
  ssoRequired: { slug: 'sso-required', title: "Sign in through the organization's single sign-on", status: 403 },
  tenantSuspended: { slug: 'tenant-suspended', title: 'The tenant is suspended', status: 403 },
  tenantOffboarded: { slug: 'tenant-offboarded', title: 'The tenant is being or has been offboarded', status: 403 },
  ssoFailed: { slug: 'sso-failed', title: 'The single sign-on did not succeed', status: 401 },
  notFound: { slug: 'not-found', title: 'Not found', status: 404 },
  tracingOff: { slug: 'tracing-off', title: 'Tracing is off', status: 404 },
  traceNotFound: { slug: 'trace-not-found', title: 'The operation has no trace (yet)', status: 404 },
  conflict: { slug: 'conflict', title: 'The request conflicts with the current state', status: 409 },
  planLimitReached: {
    slug: 'plan-limit-reached',
    title: "The tenant's plan does not allow more of these",
    status: 409,
  },
  planExceeded: {
    slug: 'plan-exceeded',
    title: 'The tenant uses more than that plan allows',
    status: 409,
  },
  planFeatureMissing: {
    slug: 'plan-feature-missing',
    title: "The tenant's plan does not include this feature",
    status: 403,
  },
  idempotencyKeyInProgress: {
    slug: 'idempotency-key-in-progress',
    title: 'A request with this Idempotency-Key is still being processed',
    status: 409,
  },
  secretVersionPurged: {
    slug: 'secret-version-purged',
    title: "This version's value was destroyed when its retention period ended",
    status: 410,
  },
  revealGrantGone: {
    slug: 'reveal-grant-gone',
    title: 'This reveal grant was used already or has expired',
    status: 410,
  },
  linkGone: { slug: 'link-gone', title: 'This link was used already or has expired', status: 410 },
  payloadTooLarge: { slug: 'payload-too-large', title: 'The request body is too large', status: 413 },
  unsupportedMediaType: {
    slug: 'unsupported-media-type',
    title: 'The request body must be application/json',
    status: 415,
  },
  validation: { slug: 'validation-failed', title: 'The request has invalid fields', status: 422 },
  accountLocked: { slug: 'account-locked', title: 'The account is locked after too many failed logins', status: 429 },
  rateLimited: { slug: 'rate-limited', title: 'Too many requests', status: 429 },
  idempotencyKeyReused: {
    slug: 'idempotency-key-reused',
    title: 'This Idempotency-Key was used with a different request',
    status: 422,
  },
  badGateway: { slug: 'bad-gateway', title: 'A provider the API depends on answered with an error', status: 502 },
  unavailable: { slug: 'service-unavailable', title: 'A service the API depends on is unavailable', status: 503 },
  internal: { slug: 'internal-error', title: 'Internal server error', status: 500 },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

export class ProblemError extends Error {
  readonly kind: ProblemKind;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    kind: ProblemKind,
    detail?: string,
    options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? PROBLEM_TYPES[kind].title);
    this.name = 'ProblemError';
    this.kind = kind;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return PROBLEM_TYPES[this.kind].status;
  }

  toBody(instance?: string, requestId?: string): Problem {
    const { slug, title, status } = PROBLEM_TYPES[this.kind];
    return {
      type: problemTypeUri(slug),
      title,
      status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...(requestId ? { requestId } : {}),
    };
  }
}

/** Errors thrown by express.json() carry a `type`; map them to problems. */
function fromBodyParser(error: unknown): ProblemError | null {
  if (typeof error !== 'object' || error === null || !('type' in error)) return null;
  switch (error.type) {
    case 'entity.parse.failed':
      return new ProblemError('malformedJson', 'The body could not be parsed as JSON; check for syntax errors.');
    case 'entity.too.large':
      return new ProblemError(
        'payloadTooLarge',
        `The body exceeds the limit of ${String((error as { limit?: number }).limit)} bytes.`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemError('unsupportedMediaType', 'The body must be UTF-8 encoded JSON.');
    default:
      return null;
  }
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const problem = error instanceof ProblemError ? error : (fromBodyParser(error) ?? new ProblemError('internal'));
    if (problem.kind === 'internal') {
      logger.error('Unhandled error', { error: error instanceof Error ? error.stack : String(error) });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res
      .status(problem.status)
      .set(problem.headers)
      .type('application/problem+json')
      .send(JSON.stringify(problem.toBody(req.originalUrl, res.locals.requestId as string | undefined)));
  };
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request (e.g. invalid JSON or header).',
  404: 'Not found.',
  409: 'Conflicts with the current state.',
  413: 'Body too large.',
  415: 'Body is not application/json.',
  422: 'Invalid fields; `errors` names each one.',
  500: 'Unexpected error.',
  502: 'A provider the API called (e.g. Stripe) answered with an error; `detail` says which and what.',
  503: 'A service the API depends on is unavailable or busy; try again later.',
};

/** The OpenAPI responses of a route's problems (500 always included). */
export function problemResponses(...statuses: number[]): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    [...statuses, 500].map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Error.',
        content: { 'application/problem+json': { schema: Problem } },
      },
    ]),
  );
}

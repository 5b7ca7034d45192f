// The one error the outbound guard throws. It travels up through whatever client made the
// call (undici wraps it as the `cause` of "fetch failed", openid-client wraps that again),
// so callers look for it with findOutboundRefusal rather than instanceof on what they caught.
import type { RefusedKind } from './policy.ts';

const ONLY_PUBLIC = 'Atrium only calls public addresses';

export class OutboundAddressRefused extends Error {
  /** The host as the caller gave it (a name, or the address itself). */
  readonly host: string;
  /** The address the host resolved to; null when the name itself was refused. */
  readonly address: string | null;
  readonly kind: RefusedKind;
  /** The same address gives the same answer on every attempt: retrying cannot help. */
  readonly retryable = false;

  constructor(host: string, refused: { address: string | null; kind: RefusedKind; description: string }) {
    const what =
      refused.address === null
        ? `${host} is ${refused.description}`
        : refused.address === host
          ? `${host} is ${refused.description}`
          : `${host} resolves to ${refused.address}, ${refused.description}`;
    super(`${what}; ${ONLY_PUBLIC}.`);
    this.name = 'OutboundAddressRefused';
    this.host = host;
    this.address = refused.address;
    this.kind = refused.kind;
  }
}

/** The refusal behind `error`, looking through `cause` chains and aggregated errors. */
export function findOutboundRefusal(error: unknown, depth = 0): OutboundAddressRefused | undefined {
  if (error instanceof OutboundAddressRefused) return error;
  if (!(error instanceof Error) || depth > 8) return undefined;
  const inner: unknown[] =
    error instanceof AggregateError ? [...(error.errors as unknown[]), error.cause] : [error.cause];
  for (const candidate of inner) {
    const found = findOutboundRefusal(candidate, depth + 1);
    if (found) return found;
  }
  return undefined;
}

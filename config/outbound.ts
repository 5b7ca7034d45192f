// Which addresses Atrium may call when a tenant gives it one (SSO issuers today; webhooks and
// OAuth providers later), read once at boot by the API and the worker and handed to the
// outbound guard (integrations/outbound/). Only loopback can be opened, and only for
// development and tests, where the providers run on this machine: private, link-local and
// metadata addresses stay refused whatever is set.
import { z } from 'zod';

export const outboundSettings = {
  OUTBOUND_ALLOW_LOOPBACK: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
};

export interface OutboundConfig {
  /** Let tenant-given addresses reach 127.0.0.0/8 and ::1 (development and tests only). */
  allowLoopback: boolean;
}

export function readOutboundConfig(parsed: { OUTBOUND_ALLOW_LOOPBACK: boolean }): OutboundConfig {
  return { allowLoopback: parsed.OUTBOUND_ALLOW_LOOPBACK };
}

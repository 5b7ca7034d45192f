// /healthz and /readyz (outside /api/v1): for load balancers and orchestrators.
import { z } from 'zod';

export const Liveness = z.object({ status: z.literal('ok') });
export type Liveness = z.infer<typeof Liveness>;

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });

/** 200 when PostgreSQL and Temporal answer, else 503 saying which did not. */
export const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: Check, temporal: Check }),
});
export type Readiness = z.infer<typeof Readiness>;

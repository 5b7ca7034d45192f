// Pieces several areas of the wire contract share: the duration format, the
// Idempotency-Key header, the tenant path parameter, and lists.
import { z } from 'zod';

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `500ms`, `30s`, `5m`, `2h` or `7d`, parsed to milliseconds. */
export const duration = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration like 500ms, 30s, 5m, 2h or 7d')
  .transform((value) => {
    const [, amount, unit] = DURATION_PATTERN.exec(value) as RegExpExecArray;
    return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  });

/** Commands that start work accept it; a repeat with the same key returns the first answer. */
export const IdempotencyKeyHeader = z.object({ 'idempotency-key': z.string().max(255).optional() });

/** `/api/v1/tenants/{slug}/…`: the tenant-scoped routes (the tenant check reads the slug). */
export const TenantPath = z.object({ slug: z.string().min(1).max(40) });
export type TenantPath = z.infer<typeof TenantPath>;

/** `{ items: [...] }`, the answer of the list routes that are not paged. */
export function listOf<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item) });
}

export const emailField = z.email('Enter a valid email address.');

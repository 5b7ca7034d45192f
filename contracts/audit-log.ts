// A tenant's audit log: filtered, paged by an opaque cursor, newest first; and its export.
import { z } from 'zod';

const AuditLogFilter = {
  actor: z.string().min(1).max(200).optional().meta({ description: 'Actor id (a user id, an API key id).' }),
  action: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]+)*\.?$/, 'Use an action such as member.role_changed, or a prefix such as member.')
    .optional()
    .meta({ description: 'An action, or a prefix ending with a dot.' }),
  targetType: z.string().min(1).max(100).optional(),
  targetId: z.string().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true, error: 'Use an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z.' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'Use an ISO 8601 date-time, e.g. 2026-11-30T00:00:00Z.' }).optional(),
};

export const AuditLogListQuery = z.strictObject({
  ...AuditLogFilter,
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'Pass the nextCursor of a previous page unchanged.')
    .optional(),
  limit: z.coerce.number().int().min(1, 'Use 1 to 200.').max(200, 'Use 1 to 200.').default(50),
});
export type AuditLogListQuery = z.input<typeof AuditLogListQuery>;

export const AUDIT_LOG_EXPORT_FORMATS = ['csv', 'json'] as const;

export const AuditLogExportQuery = z.strictObject({
  ...AuditLogFilter,
  format: z.enum(AUDIT_LOG_EXPORT_FORMATS).default('csv'),
});
export type AuditLogExportQuery = z.input<typeof AuditLogExportQuery>;

export const AuditEntry = z
  .object({
    id: z.string(),
    occurredAt: z.iso.datetime(),
    actor: z.object({
      type: z.string(),
      id: z.string().nullable(),
      displayName: z.string().nullable().meta({
        description:
          "Who the actor is today: a user's display name or an API key's name (null for the system, or when the account or key is gone).",
      }),
      email: z.string().nullable().meta({ description: "A user's current email address (null for other actors)." }),
    }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string().nullable() }),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditLogPage = z
  .object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditLogPage' });
export type AuditLogPage = z.infer<typeof AuditLogPage>;

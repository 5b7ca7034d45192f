import type { DataSource } from 'typeorm';
import type { AuditActor } from './repositories/audit-log.ts';
import { appendAuditEntry } from './repositories/audit-log.ts';
import { createUserIfAbsent } from './repositories/users.ts';

export interface AdminSeed {
  email: string;
  displayName: string;
  password: string;
}

/** `npm start` seeds as the platform itself: no person or request asked. */
const SEED_ACTOR: AuditActor = { type: 'system', id: null, requestId: null, ip: null };

/**
 * Creates the platform admin (also an operator with write access to the Temporal UI at
 * /ops/temporal/, so the person who ran `npm start` can reach it) unless an account with this email exists. Safe to run at
 * every start: an existing admin keeps the password it has.
 *
 * The address counts as confirmed: the operator named it in the configuration (there is
 * nobody to click a link for a seeded account). A platform admin seeded with this address
 * before seeds were confirmed is confirmed at the next start; an account that is not a
 * platform admin is left alone. Both changes are audited on the platform chain.
 * Returns true when the account was created now.
 */
export async function seedPlatformAdmin(dataSource: DataSource, admin: AdminSeed): Promise<boolean> {
  return dataSource.transaction(async (db) => {
    const createdId = await createUserIfAbsent(db, { ...admin, isPlatformAdmin: true, operatorRole: 'write' });
    if (createdId)
      await appendAuditEntry(db, {
        tenantId: null,
        actor: SEED_ACTOR,
        action: 'user.created',
        targetType: 'user',
        targetId: createdId,
        after: { email: admin.email, platformAdmin: true, operatorRole: 'write', emailVerified: true, seeded: true },
      });
    // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
    const confirmed = await db.query<Array<{ id: string }>>(
      `WITH confirmed AS (
         UPDATE users SET email_verified_at = now()
         WHERE lower(email) = lower($1) AND is_platform_admin AND email_verified_at IS NULL
         RETURNING id
       )
       SELECT id FROM confirmed`,
      [admin.email],
    );
    // The account made just now was audited as created, confirmed.
    for (const { id } of confirmed.filter((row) => row.id !== createdId))
      await appendAuditEntry(db, {
        tenantId: null,
        actor: SEED_ACTOR,
        action: 'user.email_verified',
        targetType: 'user',
        targetId: id,
        after: { email: admin.email, seeded: true },
      });
    return createdId !== null;
  });
}

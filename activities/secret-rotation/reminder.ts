// The manual strategy's steps (kinds Atrium cannot rotate itself, such as a provider's OAuth
// client secret): mail the owners and admins a reminder with the due date, record who confirmed
// the rotation was done, or alert when nobody did by the due date.
import { updateRotation } from '../../db/repositories/secret-rotations.ts';
import { effectiveEverySeconds } from '../../db/repositories/tenant-secrets.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantStep } from '../shared/kernel.ts';
import { alertOwners } from './alerts.ts';
import type { RotationRef } from './rotate.ts';
import { loadRotation } from './rotate.ts';

export function createReminderActivities(deps: ActivityDeps) {
  return {
    /**
     * Marks the rotation as waiting for a confirmation and mails the reminder. Retry-safe: the
     * status changes (and is audited) once; a repeated mail carries the same Message-ID.
     */
    async sendRotationReminder(ref: RotationRef & { dueAt: string }): Promise<{ recipients: string[] }> {
      return tenantStep(deps, ref, async (step) => {
        const { secret } = await step.locked(async (tx) => {
          const { secret, rotation } = await loadRotation(tx, ref);
          if (rotation.status !== 'running') return { secret };
          await updateRotation(tx.db, rotation.id, { status: 'waiting_confirmation', due_at: new Date(ref.dueAt) });
          await tx.audit('secret.rotation_reminder_sent', 'tenant_secret', ref.secretId, {
            rotation: ref.number,
            dueAt: ref.dueAt,
          });
          return { secret };
        });
        return alertOwners(deps, step, ref, {
          key: 'reminder',
          subject: `Rotate "${secret.name}" by ${ref.dueAt}`,
          lines: [
            `The secret "${secret.name}" (${secret.kind}, ${secret.environment}) is due for rotation by ${ref.dueAt}.`,
            'Atrium cannot rotate it itself: rotate it at its provider, set the new value in Atrium,',
            'then press "I rotated it" on its page so the rotation is recorded.',
          ],
        });
      });
    },

    /** Records who confirmed the manual rotation. Retry-safe: a confirmed rotation answers its first confirmation. */
    async recordManualConfirmation(ref: RotationRef): Promise<{ confirmedAt: string }> {
      return tenantStep(deps, ref, (step) =>
        step.locked(async (tx) => {
          const { rotation } = await loadRotation(tx, ref);
          if (rotation.status === 'confirmed' && rotation.confirmed_at)
            return { confirmedAt: rotation.confirmed_at.toISOString() };
          const now = new Date();
          const actor = step.actor;
          await updateRotation(tx.db, rotation.id, {
            status: 'confirmed',
            confirmed_by: actor.type === 'user' ? actor.id : null,
            confirmed_at: now,
            message: actor.type === 'user' ? null : `Confirmed by ${actor.type} ${actor.id ?? ''}`.trim(),
            finished: true,
          });
          await tx.db.query(
            `UPDATE tenant_secrets SET rotated_at = $2,
               next_rotation_at = $2::timestamptz + make_interval(secs => ${effectiveEverySeconds('tenant_secrets')})
             WHERE id = $1`,
            [ref.secretId, now],
          );
          await tx.audit('secret.rotation_confirmed', 'tenant_secret', ref.secretId, { rotation: ref.number });
          return { confirmedAt: now.toISOString() };
        }),
      );
    },

    /** Nobody confirmed by the due date: the rotation ends unconfirmed, with an alert. Retry-safe: changed and audited once. */
    async markRotationUnconfirmed(ref: RotationRef & { dueAt: string }): Promise<void> {
      await tenantStep(deps, ref, async (step) => {
        const { secret } = await step.locked(async (tx) => {
          const { secret, rotation } = await loadRotation(tx, ref);
          if (rotation.status !== 'waiting_confirmation') return { secret };
          const reason = `Nobody confirmed the manual rotation by ${ref.dueAt}.`;
          await updateRotation(tx.db, rotation.id, { status: 'unconfirmed', message: reason, finished: true });
          await tx.audit('secret.rotation_unconfirmed', 'tenant_secret', ref.secretId, {
            rotation: ref.number,
            dueAt: ref.dueAt,
          });
          await tx.emit('secret.rotation_failed', {
            secretId: ref.secretId,
            name: secret.name,
            rotation: ref.number,
            outcome: 'unconfirmed',
            currentVersion: secret.current_version,
            reason,
          });
          return { secret };
        });
        await alertOwners(deps, step, ref, {
          key: 'unconfirmed',
          subject: `"${secret.name}" was not rotated by ${ref.dueAt}`,
          lines: [
            `Nobody confirmed that the secret "${secret.name}" (${secret.environment}) was rotated by ${ref.dueAt}.`,
            'Rotate it at its provider and set the new value in Atrium; the next reminder follows its rotation policy.',
          ],
        });
      });
    },
  };
}

// The mail half of a rotation's alerts and reminders: one message to each owner and admin of
// the tenant (activities/shared/mail-people.ts), with a link to the secret's page. Never a value.
import { listOwnerAndAdminAddresses } from '../../db/repositories/memberships.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantStep } from '../shared/kernel.ts';
import { mailPeople } from '../shared/mail-people.ts';

export async function alertOwners(
  deps: ActivityDeps,
  step: TenantStep,
  ref: { tenantId: string; slug: string; secretId: string; number: number },
  alert: { key: string; subject: string; lines: string[]; record: boolean },
): Promise<{ recipients: string[] }> {
  const read = await withTenantScope(deps.dataSource, ref.tenantId, async (db) => ({
    tenant: await findTenantById(db, ref.tenantId),
    contacts: await listOwnerAndAdminAddresses(db, ref.tenantId),
  }));
  const page = new URL(`/tenants/${ref.slug}/secrets/${ref.secretId}`, deps.publicUrl).toString();
  const { recipients, refused } = await mailPeople(deps.mailer, read.contacts, (contact) => ({
    to: contact.email,
    subject: `${alert.subject} (${read.tenant?.name ?? ref.slug})`,
    text: [...alert.lines, '', `The rotation's report: ${page}`, '', '— Atrium'].join('\n'),
    messageId: `secret-rotation.${alert.key}.${ref.secretId}.${ref.number}.${contact.user_id}@atrium`,
  }));
  if (alert.record)
    await step.locked(({ audit }) =>
      audit('secret.rotation_mailed', 'tenant_secret', ref.secretId, {
        rotation: ref.number,
        about: alert.key,
        recipients,
        refused,
      }),
    );
  return { recipients };
}

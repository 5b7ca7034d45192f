// The mail half of a rotation's alerts and reminders: one message to each owner and admin of
// the tenant (activities/shared/mail-people.ts), with a link to the secret's page. Never a value.
// Each mail of a rotation goes out once: `secret_rotations.mailed` records it (with an audit
// entry) after sending, so only an attempt that died between the two sends it again, with the
// same Message-IDs.
import { listOwnerAndAdminAddresses } from '../../db/repositories/memberships.ts';
import { findRotation, markRotationMailed } from '../../db/repositories/secret-rotations.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantStep } from '../shared/kernel.ts';
import { mailPeople } from '../shared/mail-people.ts';

export async function alertOwners(
  deps: ActivityDeps,
  step: TenantStep,
  ref: { tenantId: string; slug: string; secretId: string; number: number },
  alert: { key: string; subject: string; lines: string[] },
): Promise<{ recipients: string[] }> {
  const read = await withTenantScope(deps.dataSource, ref.tenantId, async (db) => ({
    rotation: await findRotation(db, ref.tenantId, ref.secretId, ref.number),
    tenant: await findTenantById(db, ref.tenantId),
    contacts: await listOwnerAndAdminAddresses(db, ref.tenantId),
  }));
  if (!read.rotation || read.rotation.mailed.includes(alert.key)) return { recipients: [] };
  const page = new URL(`/tenants/${ref.slug}/secrets/${ref.secretId}`, deps.publicUrl).toString();
  const { recipients, refused } = await mailPeople(deps.mailer, read.contacts, (contact) => ({
    to: contact.email,
    subject: `${alert.subject} (${read.tenant?.name ?? ref.slug})`,
    text: [...alert.lines, '', `The rotation's report: ${page}`, '', '— Atrium'].join('\n'),
    messageId: `secret-rotation.${alert.key}.${ref.secretId}.${ref.number}.${contact.user_id}@atrium`,
  }));
  const rotationId = read.rotation.id;
  await step.locked(async ({ db, audit }) => {
    if (!(await markRotationMailed(db, rotationId, alert.key))) return;
    await audit('secret.rotation_mailed', 'tenant_secret', ref.secretId, {
      rotation: ref.number,
      about: alert.key,
      recipients,
      refused,
    });
  });
  return { recipients };
}

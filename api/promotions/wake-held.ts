// Wakes an environment's held promotion after something that may lift its hold (its
// protection edited): the workflow reads its hold again at once instead of at its next
// recheck (docs/decisions/0024). Best effort: the promotion may have ended meanwhile, and a
// missed signal only delays it until that recheck.
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { findOpenPromotion } from '../../db/repositories/promotions.ts';
import { withTenantScope } from '../../db/scope.ts';
import { recheckHoldSignal } from '../../workflows/promotions/contract.ts';

export async function wakeHeldPromotion(
  deps: { dataSource: DataSource; client: Client },
  tenantId: string,
  environment: string,
): Promise<void> {
  const open = await withTenantScope(deps.dataSource, tenantId, (db) => findOpenPromotion(db, tenantId, environment));
  if (!open) return;
  await deps.client.workflow
    .getHandle(open.operation_id)
    .signal(recheckHoldSignal)
    .catch(() => undefined);
}

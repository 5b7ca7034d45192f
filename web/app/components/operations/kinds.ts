import type { OperationKind } from '../../../../contracts/index.ts';

/** How each kind of operation is named in the portal. */
export const operationKindLabels: Record<OperationKind, string> = {
  'tenant-provision': 'Tenant provisioning',
  'tenant-suspend': 'Tenant suspension',
  'tenant-reactivate': 'Tenant reactivation',
  'tenant-offboard': 'Tenant offboarding',
};

export function operationKindLabel(kind: string): string {
  return operationKindLabels[kind as OperationKind] ?? kind;
}

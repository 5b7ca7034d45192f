// The words an operation is reported in — its kinds, its phases and its steps' statuses —
// as plain data. Workflow code, the API and the wire contracts (contracts/operations.ts)
// all import these lists, so this file imports nothing: no Temporal, no zod, no Node.

/** Every kind of long-running operation; the value is the OperationKind search attribute. */
export const OPERATION_KINDS = ['tenant-provision', 'tenant-suspend', 'tenant-reactivate', 'tenant-offboard'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** Where a workflow says it is. `cancelled`: called off, and it undid what it had done (it completed). */
export const OPERATION_PHASES = ['running', 'compensating', 'completed', 'cancelled', 'failed'] as const;
export type OperationPhase = (typeof OPERATION_PHASES)[number];

export const STEP_STATUSES = ['pending', 'running', 'completed', 'failed', 'skipped', 'compensated'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

// The words an operation is reported in — its phases and its steps' statuses — as plain
// data (its kinds are the catalogue's rows: workflows/catalogue.ts). Workflow code, the API
// and the wire contracts (contracts/operations.ts) all import these lists, so this file
// imports nothing: no Temporal, no zod, no Node.

/** Where a workflow says it is. `cancelled`: called off, and it undid what it had done (it completed). */
export const OPERATION_PHASES = ['running', 'compensating', 'completed', 'cancelled', 'failed'] as const;
export type OperationPhase = (typeof OPERATION_PHASES)[number];

export const STEP_STATUSES = ['pending', 'running', 'completed', 'failed', 'skipped', 'compensated'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

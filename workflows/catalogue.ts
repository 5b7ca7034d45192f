// The operation catalogue: every kind of long-running operation Atrium runs, one row each.
// Everything that needs to know the operations reads this table — the operation kinds of
// the API and the portal, the starters (workflow type, ID, task queue), the worker (which
// family folders to load, one task queue each), the replay and structure tests.
//
// Pure data and pure functions only: the portal's browser bundle and the workflow sandbox
// import it too. Adding a workflow family means a folder in workflows/, activities/ and
// api/ named after the family, and rows here (docs/architecture.md, "Adding a workflow family").

/** Every workflow family: the folder name in workflows/, activities/ and api/, and its task queue's suffix. */
export const WORKFLOW_FAMILIES = [
  'tenant-provisioning',
  'tenant-suspension',
  'tenant-offboarding',
  'webhooks',
  'billing',
  'connectors',
  'secret-rotation',
  'environments',
  'promotions',
  'metering',
] as const;
export type WorkflowFamily = (typeof WORKFLOW_FAMILIES)[number];

/** Whose operation it is: a tenant's (its TenantId search attribute is set) or the platform's (none). */
export type OperationScope = 'tenant' | 'platform';

export interface CatalogueEntry<IdInput> {
  /** The folder (and task queue) of the family the workflow belongs to. */
  family: WorkflowFamily;
  /** The exported workflow function's name: Temporal's workflow type. Never renamed (running workflows). */
  workflowType: string;
  /** A readable ID operators can find (`tenant-provision/acme`); the same input always gives the same ID. */
  workflowId: (input: IdInput) => string;
  scope: OperationScope;
  /** How people read the kind (the portal, the CLI). */
  label: string;
}

function entry<IdInput>(row: CatalogueEntry<IdInput>): CatalogueEntry<IdInput> {
  return row;
}

export const OPERATION_CATALOGUE = {
  'tenant-provision': entry<{ slug: string }>({
    family: 'tenant-provisioning',
    workflowType: 'provisionTenant',
    workflowId: ({ slug }) => `tenant-provision/${slug}`,
    scope: 'tenant',
    label: 'Tenant provisioning',
  }),
  'tenant-suspend': entry<{ slug: string; number: number }>({
    family: 'tenant-suspension',
    workflowType: 'suspendTenant',
    workflowId: ({ slug, number }) => `tenant-suspend/${slug}/${number}`,
    scope: 'tenant',
    label: 'Tenant suspension',
  }),
  'tenant-reactivate': entry<{ slug: string; number: number }>({
    family: 'tenant-suspension',
    workflowType: 'reactivateTenant',
    workflowId: ({ slug, number }) => `tenant-reactivate/${slug}/${number}`,
    scope: 'tenant',
    label: 'Tenant reactivation',
  }),
  'tenant-offboard': entry<{ slug: string }>({
    family: 'tenant-offboarding',
    workflowType: 'offboardTenant',
    workflowId: ({ slug }) => `tenant-offboard/${slug}`,
    scope: 'tenant',
    label: 'Tenant offboarding',
  }),
  'tenant-plan': entry<{ slug: string; number: number }>({
    family: 'billing',
    workflowType: 'changePlan',
    workflowId: ({ slug, number }) => `tenant-plan/${slug}/${number}`,
    scope: 'tenant',
    label: 'Plan change',
  }),
  'webhook-endpoint': entry<{ slug: string; endpointId: string }>({
    family: 'webhooks',
    workflowType: 'deliverWebhookEvents',
    workflowId: ({ slug, endpointId }) => `webhook-endpoint/${slug}/${endpointId}`,
    scope: 'tenant',
    label: 'Webhook delivery',
  }),
  'webhook-replay': entry<{ slug: string; endpointId: string; replayId: string }>({
    family: 'webhooks',
    workflowType: 'replayWebhookEvents',
    workflowId: ({ slug, endpointId, replayId }) => `webhook-replay/${slug}/${endpointId}/${replayId}`,
    scope: 'tenant',
    label: 'Webhook replay',
  }),
  'tenant-billing': entry<{ slug: string }>({
    family: 'billing',
    workflowType: 'tenantBilling',
    workflowId: ({ slug }) => `tenant-billing/${slug}`,
    scope: 'tenant',
    label: 'Tenant billing',
  }),
  'connector-connect': entry<{ slug: string; connectionId: string }>({
    family: 'connectors',
    workflowType: 'connectConnector',
    workflowId: ({ slug, connectionId }) => `connector-connect/${slug}/${connectionId}`,
    scope: 'tenant',
    label: 'Connector connection',
  }),
  'connector-disconnect': entry<{ slug: string; connectionId: string }>({
    family: 'connectors',
    workflowType: 'disconnectConnector',
    workflowId: ({ slug, connectionId }) => `connector-disconnect/${slug}/${connectionId}`,
    scope: 'tenant',
    label: 'Connector disconnection',
  }),
  connection: entry<{ slug: string; connectionId: string }>({
    family: 'connectors',
    workflowType: 'maintainConnection',
    workflowId: ({ slug, connectionId }) => `connection/${slug}/${connectionId}`,
    scope: 'tenant',
    label: 'Connection maintenance',
  }),
  // Started by the sync's Temporal Schedule, which appends each action's time to this prefix.
  'connector-sync': entry<{ slug: string; connectionId: string; syncId: string }>({
    family: 'connectors',
    workflowType: 'syncConnection',
    workflowId: ({ slug, connectionId, syncId }) => `connector-sync/${slug}/${connectionId}/${syncId}`,
    scope: 'tenant',
    label: 'Connector sync',
  }),
  'secret-rotate': entry<{ slug: string; secretId: string; number: number }>({
    family: 'secret-rotation',
    workflowType: 'rotateSecret',
    workflowId: ({ slug, secretId, number }) => `secret-rotate/${slug}/${secretId}/${number}`,
    scope: 'tenant',
    label: 'Secret rotation',
  }),
  'secret-rotation': entry<{ slug: string; secretId: string }>({
    family: 'secret-rotation',
    workflowType: 'scheduledSecretRotation',
    // The Schedule's id, and the prefix of its runs' ids (the server appends the due time).
    workflowId: ({ slug, secretId }) => `secret-rotation/${slug}/${secretId}`,
    scope: 'tenant',
    label: 'Scheduled secret rotation',
  }),
  // Production secrets (docs/decisions/0035): a new value or a reveal that waits for the approval
  // the secret's environment's policy asks for; numbered per secret.
  'secret-change': entry<{ slug: string; secretId: string; number: number }>({
    family: 'secret-rotation',
    workflowType: 'changeSecretWithApproval',
    workflowId: ({ slug, secretId, number }) => `secret-change/${slug}/${secretId}/${number}`,
    scope: 'tenant',
    label: 'Secret change (approval)',
  }),
  'secret-reveal': entry<{ slug: string; secretId: string; number: number }>({
    family: 'secret-rotation',
    workflowType: 'revealSecretWithApproval',
    workflowId: ({ slug, secretId, number }) => `secret-reveal/${slug}/${secretId}/${number}`,
    scope: 'tenant',
    label: 'Secret reveal (approval)',
  }),
  // Access-token signing-key rotation (docs/decisions/0030): platform-wide, one at a time per
  // deployment (its task queue prefix); each started by a platform admin under an id of its own.
  'signing-key-rotate': entry<{ deployment: string; rotationId: string }>({
    family: 'secret-rotation',
    workflowType: 'rotateSigningKey',
    workflowId: ({ deployment, rotationId }) => `signing-key-rotate/${deployment}/${rotationId}`,
    scope: 'platform',
    label: 'Signing-key rotation',
  }),
  // A signing-key rotation policy's Schedule (docs/decisions/0038): one per deployment and
  // keyring purpose; each due time starts a rotateSigningKey child under a rotation id of its own.
  'signing-key-rotation': entry<{ deployment: string; purpose: string }>({
    family: 'secret-rotation',
    workflowType: 'scheduledSigningKeyRotation',
    // The Schedule's id, and the prefix of its runs' ids (the server appends the due time).
    workflowId: ({ deployment, purpose }) => `signing-key-rotation/${deployment}/${purpose}`,
    scope: 'platform',
    label: 'Scheduled signing-key rotation',
  }),
  // A tenant's database login (docs/decisions/0032): each rotation under an id of its own.
  'database-login-rotate': entry<{ slug: string; rotationId: string }>({
    family: 'secret-rotation',
    workflowType: 'rotateDatabaseLogin',
    workflowId: ({ slug, rotationId }) => `database-login-rotate/${slug}/${rotationId}`,
    scope: 'tenant',
    label: 'Database login rotation',
  }),
  // A tenant's database login rotation policy (docs/decisions/0036): the Schedule's id, and the
  // prefix of its runs' ids (the server appends the due time).
  'database-login-rotation': entry<{ slug: string }>({
    family: 'secret-rotation',
    workflowType: 'scheduledDatabaseLoginRotation',
    workflowId: ({ slug }) => `database-login-rotation/${slug}`,
    scope: 'tenant',
    label: 'Scheduled database login rotation',
  }),
  // Environments (docs/decisions/0019): a name is reused after a delete, so each ID may run again once closed.
  'environment-create': entry<{ slug: string; environment: string }>({
    family: 'environments',
    workflowType: 'createEnvironment',
    workflowId: ({ slug, environment }) => `environment-create/${slug}/${environment}`,
    scope: 'tenant',
    label: 'Environment creation',
  }),
  'environment-delete': entry<{ slug: string; environment: string }>({
    family: 'environments',
    workflowType: 'deleteEnvironment',
    workflowId: ({ slug, environment }) => `environment-delete/${slug}/${environment}`,
    scope: 'tenant',
    label: 'Environment deletion',
  }),
  // Promotions (docs/decisions/0023): numbered per tenant and environment.
  promotion: entry<{ slug: string; environment: string; number: number }>({
    family: 'promotions',
    workflowType: 'promoteRelease',
    workflowId: ({ slug, environment, number }) => `promotion/${slug}/${environment}/${number}`,
    scope: 'tenant',
    label: 'Release promotion',
  }),
  // Metering reconciliation (docs/decisions/0027): platform-wide, on an hourly Schedule whose id
  // is this (one per deployment: its task queue prefix); the server appends each run's time.
  'metering-reconcile': entry<{ deployment: string }>({
    family: 'metering',
    workflowType: 'reconcileMetering',
    workflowId: ({ deployment }) => `metering-reconcile/${deployment}`,
    scope: 'platform',
    label: 'Metering reconciliation',
  }),
} as const;

export type OperationKind = keyof typeof OPERATION_CATALOGUE;

/** Every kind of operation; the value is the OperationKind search attribute. */
export const OPERATION_KINDS = Object.keys(OPERATION_CATALOGUE) as [OperationKind, ...OperationKind[]];

export function isOperationKind(value: string): value is OperationKind {
  return Object.hasOwn(OPERATION_CATALOGUE, value);
}

/** How the portal names a kind; an unknown kind (from a newer API) shows as it is. */
export function operationKindLabel(kind: string): string {
  return isOperationKind(kind) ? OPERATION_CATALOGUE[kind].label : kind;
}

/** The kinds whose workflows run on a family's task queue. */
export function kindsOfFamily(family: WorkflowFamily): OperationKind[] {
  return OPERATION_KINDS.filter((kind) => OPERATION_CATALOGUE[kind].family === family);
}

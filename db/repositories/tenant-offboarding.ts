// Queries on tenant_teardown_reports (a tenant's latest offboarding: reason, the status a
// cancel returns to, and per step what was deleted with the evidence) and tenant_exports
// (the downloadable archives). Tenant-owned: run them in the tenant's scope.
import type { EntityManager } from 'typeorm';
import type { BillingCancellation, BillingDeletion } from '../../integrations/billing/port.ts';

export interface TeardownReportRow {
  tenant_id: string;
  operation_id: string;
  reason: string;
  previous_status: string;
  steps: Record<string, Record<string, unknown>>;
  started_at: Date;
  cancelled_at: Date | null;
  completed_at: Date | null;
}

export interface TenantExportSummary {
  operation_id: string;
  file_name: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  contents: Record<string, unknown>;
  created_at: Date;
}

/**
 * Opens the report of this offboarding operation (a new operation starts it afresh; the
 * same one keeps what it has). Returns the stored row.
 */
export async function openTeardownReport(
  db: EntityManager,
  report: { tenantId: string; operationId: string; reason: string; previousStatus: string },
): Promise<TeardownReportRow> {
  await db.query(
    `INSERT INTO tenant_teardown_reports (tenant_id, operation_id, reason, previous_status)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id) DO UPDATE SET
       operation_id = EXCLUDED.operation_id, reason = EXCLUDED.reason, previous_status = EXCLUDED.previous_status,
       steps = '{}', started_at = now(), cancelled_at = NULL, completed_at = NULL
     WHERE tenant_teardown_reports.operation_id <> EXCLUDED.operation_id`,
    [report.tenantId, report.operationId, report.reason, report.previousStatus],
  );
  const row = await findTeardownReport(db, report.tenantId);
  if (!row) throw new Error(`The teardown report of tenant ${report.tenantId} was not stored.`);
  return row;
}

export async function findTeardownReport(db: EntityManager, tenantId: string): Promise<TeardownReportRow | null> {
  const rows = await db.query<TeardownReportRow[]>(`SELECT * FROM tenant_teardown_reports WHERE tenant_id = $1`, [
    tenantId,
  ]);
  return rows[0] ?? null;
}

/** Stores one step's evidence (replacing what the step stored before). */
export async function recordTeardownStep(
  db: EntityManager,
  tenantId: string,
  step: string,
  evidence: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `UPDATE tenant_teardown_reports SET steps = steps || jsonb_build_object($2::text, $3::jsonb) WHERE tenant_id = $1`,
    [tenantId, step, JSON.stringify(evidence)],
  );
}

export async function markTeardownReport(
  db: EntityManager,
  tenantId: string,
  what: 'cancelled' | 'completed',
): Promise<void> {
  const column = what === 'cancelled' ? 'cancelled_at' : 'completed_at';
  await db.query(`UPDATE tenant_teardown_reports SET ${column} = coalesce(${column}, now()) WHERE tenant_id = $1`, [
    tenantId,
  ]);
}

export async function findExport(
  db: EntityManager,
  tenantId: string,
  operationId: string,
): Promise<TenantExportSummary | null> {
  const rows = await db.query<TenantExportSummary[]>(
    `SELECT operation_id, file_name, media_type, size_bytes, sha256, contents, created_at
     FROM tenant_exports WHERE tenant_id = $1 AND operation_id = $2`,
    [tenantId, operationId],
  );
  return rows[0] ?? null;
}

/** The newest export of the tenant, with its archive. */
export async function findLatestExport(
  db: EntityManager,
  tenantId: string,
): Promise<(TenantExportSummary & { archive: Buffer }) | null> {
  const rows = await db.query<Array<TenantExportSummary & { archive: Buffer }>>(
    `SELECT operation_id, file_name, media_type, size_bytes, sha256, contents, created_at, archive
     FROM tenant_exports WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 1`,
    [tenantId],
  );
  return rows[0] ?? null;
}

/** A resource offboarding deleted, and how we know it is gone. */
export interface TeardownResource {
  kind:
    | 'namespace'
    | 'secret'
    | 'secret_policy'
    | 'secret_approle'
    | 'database_role'
    | 'schema'
    | 'license'
    | 'billing_subscription'
    | 'billing_customer'
    | 'webhook_endpoint'
    | 'connection'
    | 'schedule'
    | 'promotion'
    | 'plan_change'
    | 'approval_request'
    | 'environment';
  name: string;
  evidence: string;
}

/** What each step of the teardown report records (tenant_teardown_reports.steps). */
export interface TeardownSteps {
  /** Connections disconnected (tokens revoked, then destroyed) and Schedules deleted, before anything else. */
  connections?: {
    connections: Array<{ id: string; revocation: string; disconnectedAt: string }>;
    schedules: string[];
    completedAt: string | null;
  };
  /** Open promotions ended (their workflows cancelled, recorded failed), before the namespaces go. */
  promotions?: {
    promotions: Array<{
      environment: string;
      number: number;
      release: number;
      /** Its status when the offboarding came to it. */
      previousStatus: string;
      /** Its status after: `failed` when the offboarding ended it, else how it had ended on its own. */
      status: string;
      endedByOffboarding: boolean;
      /** Its workflow (`promotion/<slug>/<environment>/<number>`) and how Temporal says it closed. */
      workflow: { id: string; status: string };
      recordedAt: string;
    }>;
  };
  /**
   * The open plan change ended (its workflow cancelled, recorded cancelled), before the
   * approvals step closes its request.
   */
  planChanges?: {
    planChanges: Array<{
      number: number;
      from: string;
      to: string;
      /** Its status when the offboarding came to it. */
      previousStatus: string;
      /** Its status after: `cancelled` when the offboarding ended it, else how it had ended on its own. */
      status: string;
      endedByOffboarding: boolean;
      /** Its workflow (`tenant-plan/<slug>/<number>`) and how Temporal says it closed. */
      workflow: { id: string; status: string };
      recordedAt: string;
    }>;
  };
  /** Open approval requests closed (rejected, "the tenant was offboarded"). */
  approvals?: {
    requests: Array<{ id: string; subject: string; closedAt: string }>;
    completedAt: string;
  };
  namespaces?: {
    planned: string[];
    namespaces: Array<{
      name: string;
      deletedByThisAttempt: boolean;
      apiServer: { httpStatus: number; found: false } | null;
      checkedAt: string;
    }>;
    skipped?: string;
    cluster?: string;
    completedAt: string | null;
  };
  /** The environments' rows marked deleted once their namespaces were gone. */
  environments?: {
    environments: Array<{ name: string; previousStatus: string; namespace: string; deletedAt: string }>;
    /** Why no namespace was deleted (no cluster configured), when the namespaces step skipped. */
    namespacesSkipped?: string;
    completedAt: string;
  };
  secrets?: {
    planned: string[];
    store?: string;
    secrets?: Array<{ path: string; metadata: null }>;
    listedUnderPrefix?: string[];
    /** Webhook signing secrets left for the final delivery (the `webhooks` step destroys them). */
    keptForFinalDelivery?: string[];
    policy?: { name: string; exists: false };
    appRole?: { name: string; exists: false };
    completedAt: string | null;
  };
  database?: {
    role: { name: string; droppedByThisAttempt: boolean; rowsInPgRoles: 0 };
    /** The second login and the owner role, dropped with the first (absent from reports written before they were checked). */
    otherRoles?: Array<{ name: string; rowsInPgRoles: 0 }>;
    schema: { name: string; droppedByThisAttempt: boolean; rowsInPgNamespace: 0 };
    licensesWithdrawn: string[];
    completedAt: string;
  };
  /**
   * The final metering reconciliation before the billing customer went (docs/decisions/0027):
   * up to `closedBefore` (the end of the hour it ran in), per meter what Atrium counted, what it
   * reported (`expected`) and what the provider counted back; windows left unreported (none
   * unless flagged), the flagged ones, and the signed records the tenant can verify.
   */
  metering?: {
    closedBefore: string;
    reported: number;
    corrections: number;
    rounds: number;
    signed: number;
    meters: Array<{
      meter: string;
      windows: number;
      usageTotal: string;
      reported: string;
      providerCounted: string | null;
      unreported: number;
    }>;
    flagged: Array<{ window: string; flag: string; unbilled: string }>;
    records: Array<{ period: string; revision: number; keyId: string }>;
    completedAt: string;
  };
  billing?: {
    provider: string;
    subscription: BillingCancellation | null;
    customer: BillingDeletion | null;
    completedAt: string;
  };
  report?: { resources: TeardownResource[]; writtenAt: string };
  webhooks?: {
    /** The `tenant.offboarded` event the endpoints were waited for (null: none was emitted). */
    eventId: string | null;
    endpoints: Array<{
      id: string;
      url: string;
      /** What became of the final event: `delivered`, or why it was not. */
      finalDelivery: string;
    }>;
    /** Every signing secret under `tenants/<slug>/webhooks/`, stored before any is destroyed. */
    plannedSecrets: string[];
    secrets?: Array<{ path: string; metadata: null }>;
    listedUnderPrefix?: string[];
    completedAt: string | null;
  };
}

export function stepsOf(report: Pick<TeardownReportRow, 'steps'>): TeardownSteps {
  return report.steps;
}

/** Every resource the report's steps deleted, each with the evidence that it is gone. */
export function teardownResources(report: Pick<TeardownReportRow, 'steps'>): TeardownResource[] {
  const steps = stepsOf(report);
  const resources: TeardownResource[] = [];
  for (const connection of steps.connections?.connections ?? [])
    resources.push({
      kind: 'connection',
      name: connection.id,
      evidence: `tokens revoked at the provider (${connection.revocation}), then destroyed; marked disconnected`,
    });
  for (const schedule of steps.connections?.schedules ?? [])
    resources.push({ kind: 'schedule', name: schedule, evidence: 'Temporal answered "not found" after its deletion' });
  for (const promotion of steps.promotions?.promotions ?? [])
    resources.push({
      kind: 'promotion',
      name: `${promotion.environment}/${promotion.number} (release ${promotion.release})`,
      evidence: promotion.endedByOffboarding
        ? `was ${promotion.previousStatus}; its workflow ${promotion.workflow.id} answered ${promotion.workflow.status}; recorded failed ("the tenant was offboarded")`
        : `had ended ${promotion.status} on its own; its workflow ${promotion.workflow.id} answered ${promotion.workflow.status}`,
    });
  for (const change of steps.planChanges?.planChanges ?? [])
    resources.push({
      kind: 'plan_change',
      name: `${change.number} (${change.from} to ${change.to})`,
      evidence: change.endedByOffboarding
        ? `was ${change.previousStatus}; its workflow ${change.workflow.id} answered ${change.workflow.status}; recorded cancelled ("the tenant was offboarded")`
        : `had ended ${change.status} on its own; its workflow ${change.workflow.id} answered ${change.workflow.status}`,
    });
  for (const request of steps.approvals?.requests ?? [])
    resources.push({
      kind: 'approval_request',
      name: `${request.id} (${request.subject})`,
      evidence: 'closed rejected ("the tenant was offboarded"): no longer in any approvals queue',
    });
  for (const ns of steps.namespaces?.namespaces ?? [])
    resources.push({
      kind: 'namespace',
      name: ns.name,
      evidence: `GET /api/v1/namespaces/${ns.name} answered ${ns.apiServer?.httpStatus ?? '?'} after the deletion was watched to completion`,
    });
  if (steps.namespaces?.skipped)
    resources.push({ kind: 'namespace', name: '(none)', evidence: `skipped: ${steps.namespaces.skipped}` });
  for (const environment of steps.environments?.environments ?? [])
    resources.push({
      kind: 'environment',
      name: environment.name,
      evidence: steps.environments?.namespacesSkipped
        ? `marked deleted (no namespace was deleted: ${steps.environments.namespacesSkipped})`
        : `marked deleted once its namespace ${environment.namespace} was gone`,
    });
  const store = steps.secrets?.store ?? 'secret';
  for (const secret of steps.secrets?.secrets ?? [])
    resources.push({
      kind: 'secret',
      name: secret.path,
      evidence: `the ${store} store has no metadata for it`,
    });
  if (steps.secrets?.policy)
    resources.push({
      kind: 'secret_policy',
      name: steps.secrets.policy.name,
      evidence: 'the secret store has no such policy',
    });
  if (steps.secrets?.appRole)
    resources.push({
      kind: 'secret_approle',
      name: steps.secrets.appRole.name,
      evidence: 'the secret store has no such AppRole',
    });
  if (steps.database) {
    resources.push({ kind: 'database_role', name: steps.database.role.name, evidence: 'absent from pg_roles' });
    for (const role of steps.database.otherRoles ?? [])
      resources.push({ kind: 'database_role', name: role.name, evidence: 'absent from pg_roles' });
    resources.push({ kind: 'schema', name: steps.database.schema.name, evidence: 'absent from pg_namespace' });
    for (const license of steps.database.licensesWithdrawn ?? [])
      resources.push({ kind: 'license', name: license, evidence: 'removed from tenant_licenses' });
  }
  if (steps.billing?.subscription)
    resources.push({
      kind: 'billing_subscription',
      name: steps.billing.subscription.subscriptionId,
      evidence: steps.billing.subscription.found
        ? `${steps.billing.provider} answered status "${steps.billing.subscription.status}"`
        : `${steps.billing.provider} no longer had it`,
    });
  if (steps.billing?.customer)
    resources.push({
      kind: 'billing_customer',
      name: steps.billing.customer.customerId,
      evidence: steps.billing.customer.found
        ? `${steps.billing.provider} answered deleted=${steps.billing.customer.deleted} for ${steps.billing.customer.customerId}`
        : `${steps.billing.provider} no longer had it`,
    });
  if (steps.webhooks?.completedAt) {
    for (const endpoint of steps.webhooks.endpoints)
      resources.push({
        kind: 'webhook_endpoint',
        name: `${endpoint.id} (${endpoint.url})`,
        evidence: `deleted from webhook_endpoints; tenant.offboarded: ${endpoint.finalDelivery}`,
      });
    for (const secret of steps.webhooks.secrets ?? [])
      resources.push({ kind: 'secret', name: secret.path, evidence: `the ${store} store has no metadata for it` });
  }
  return resources;
}

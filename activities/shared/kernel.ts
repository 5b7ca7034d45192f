// The activity kernel: what every activity does around its own work, written once.
//
//   tenantStep(deps, input, (step) => …)         the tenant's activities
//   lockedTenantStep(deps, input, (tx) => …)     the same, all of the work in one locked transaction
//   platformStep(deps, input, (step) => …)       activities that belong to no tenant
//   tenantsStep(deps, input, (step) => …)        a batch of tenants at once (a platform-wide operation's)
//
// Around the work it: puts the tenant in the log context (the workflow and run ids are put
// there for every activity by worker/activity-log-context.ts); heartbeats, so a dead worker
// is noticed after the heartbeat timeout, and stops waiting when the activity is cancelled;
// translates failures, so a port error that says a retry would repeat it fails the step at
// once instead of being retried for as long as the policy allows; and hands the work
// transactions (tenant scope + the per-tenant advisory lock, or platform scope) that carry an
// audit helper bound to that transaction and to whoever asked. It is plain function
// composition of heartbeat.ts, failures.ts and tenant-lock.ts: nothing is registered, and an
// activity reads top to bottom.
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntries, appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { EmittedEvent } from '../../db/repositories/event-outbox.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import type { EventPayload, EventType } from '../../contracts/events.ts';
import { withPlatformScope, withTenantsScope } from '../../db/scope.ts';
import { addLogContext } from '../../logging/context.ts';
import { translatingFailures } from './failures.ts';
import { heartbeatWhile } from './heartbeat.ts';
import { withTenantLock, withTenantsLock } from './tenant-lock.ts';

/** Who made a change when the input names nobody: histories recorded before actors were passed in. */
export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, requestId: null, ip: null };

/** What the kernel needs from an activity family's dependencies: the family's own pool. */
export interface KernelDeps {
  dataSource: DataSource;
}

/** What the kernel reads from a tenant activity's input: whose data, and who asked. */
export interface TenantActivityInput {
  tenantId: string;
  /** Absent in inputs recorded before actors travelled in workflow inputs: SYSTEM_ACTOR then. */
  actor?: AuditActor | undefined;
}

type AuditData = Record<string, unknown>;

// Properties rather than methods: activities destructure them (`async ({ db, audit }) => …`)
// and pass `step.locked` along, and neither uses `this`.

/**
 * A transaction the work runs in. Its audit entries commit or roll back with the change they
 * describe, so a retry after a crash never audits twice and a rolled-back change leaves none.
 */
export interface StepTransaction {
  db: EntityManager;
  /** Audits a change made in this transaction, by the input's actor. */
  audit: (action: string, targetType: string, targetId: string | null, after?: AuditData) => Promise<void>;
  /** Audits a transition: what it was (`before`) and what it is now (`after`). */
  auditChange: (
    action: string,
    targetType: string,
    targetId: string | null,
    before: AuditData,
    after: AuditData,
  ) => Promise<void>;
}

/** A tenant's transaction: it may also emit the tenant's events (contracts/events.ts). */
export interface TenantStepTransaction extends StepTransaction {
  /** Emits an event of the tenant in this transaction: it commits or rolls back with the change. */
  emit: <T extends EventType>(type: T, payload: EventPayload<T>) => Promise<EmittedEvent>;
}

export interface TenantStep {
  tenantId: string;
  actor: AuditActor;
  /**
   * Runs `work` in a transaction scoped to the tenant (row-level security) that holds the
   * per-tenant advisory lock. A step may take it more than once when something slow happens
   * between (a cluster call) that must not hold the lock or a connection.
   */
  locked: <T>(work: (tx: TenantStepTransaction) => Promise<T>) => Promise<T>;
}

export interface PlatformStep {
  actor: AuditActor;
  /** Runs `work` in a transaction in platform scope (across tenants); its audit entries join the platform chain. */
  transaction: <T>(work: (tx: StepTransaction) => Promise<T>) => Promise<T>;
}

/** An audit entry of a batch: its tenant's chain, by the step's actor. */
export interface TenantAuditEntry {
  tenantId: string;
  action: string;
  targetType: string;
  targetId: string | null;
  after?: AuditData;
}

/** A transaction over a batch of tenants. */
export interface TenantsStepTransaction {
  db: EntityManager;
  /** Audits changes made in this transaction, in one statement. */
  audit: (entries: readonly TenantAuditEntry[]) => Promise<void>;
}

export interface TenantsStep {
  tenantIds: readonly string[];
  actor: AuditActor;
  /**
   * A transaction over the tenants' rows (their own scope for one tenant, else platform scope, in
   * which every statement names the tenants) holding every one's advisory lock, as `locked` of a
   * tenant step does for one.
   */
  locked: <T>(work: (tx: TenantsStepTransaction) => Promise<T>) => Promise<T>;
  /** The same transaction without the locks, for reads and for writes that need none. */
  scoped: <T>(work: (db: EntityManager) => Promise<T>) => Promise<T>;
}

/**
 * Runs an activity's work over a batch of tenants: a few statements for all of them instead of
 * the same statements once per tenant (reconcileMetering; docs/decisions/0040). One tenant's
 * batch runs in that tenant's scope and log context, as a tenant step.
 */
export function tenantsStep<T>(
  deps: KernelDeps,
  input: { tenantIds: readonly string[]; actor?: AuditActor | undefined },
  work: (step: TenantsStep) => Promise<T>,
): Promise<T> {
  const { tenantIds } = input;
  const actor = input.actor ?? SYSTEM_ACTOR;
  if (tenantIds.length === 1) addLogContext({ tenantId: tenantIds[0]! });
  const step: TenantsStep = {
    tenantIds,
    actor,
    locked: (fn) =>
      withTenantsLock(deps.dataSource, tenantIds, (db) =>
        fn({
          db,
          audit: (entries) =>
            appendAuditEntries(
              db,
              entries.map((entry) => ({ ...entry, actor })),
            ),
        }),
      ),
    scoped: (fn) => withTenantsScope(deps.dataSource, tenantIds, fn),
  };
  return around(() => work(step));
}

/** Runs a tenant activity's work with log context, heartbeats and failure translation. */
export function tenantStep<T>(
  deps: KernelDeps,
  input: TenantActivityInput,
  work: (step: TenantStep) => Promise<T>,
): Promise<T> {
  const { tenantId } = input;
  const actor = input.actor ?? SYSTEM_ACTOR;
  addLogContext({ tenantId });
  const step: TenantStep = {
    tenantId,
    actor,
    locked: (fn) =>
      withTenantLock(deps.dataSource, tenantId, (db) =>
        fn({
          ...stepTransaction(db, tenantId, actor),
          emit: (type, payload) => emitEvent(db, tenantId, type, payload),
        }),
      ),
  };
  return around(() => work(step));
}

/** tenantStep whose whole work is one transaction under the tenant lock: most activities. */
export function lockedTenantStep<T>(
  deps: KernelDeps,
  input: TenantActivityInput,
  work: (tx: TenantStepTransaction) => Promise<T>,
): Promise<T> {
  return tenantStep(deps, input, (step) => step.locked(work));
}

/**
 * Runs a platform-wide activity's work (an operation of the catalogue with no tenant): the
 * same heartbeats and failure translation, transactions in platform scope and no tenant lock
 * (there is no tenant to serialize on; such work keys its own idempotency).
 */
export function platformStep<T>(
  deps: KernelDeps,
  input: { actor?: AuditActor | undefined },
  work: (step: PlatformStep) => Promise<T>,
): Promise<T> {
  const actor = input.actor ?? SYSTEM_ACTOR;
  const step: PlatformStep = {
    actor,
    transaction: (fn) => withPlatformScope(deps.dataSource, (db) => fn(stepTransaction(db, null, actor))),
  };
  return around(() => work(step));
}

/** Heartbeats inside, translation outside: a cancellation (not a port error) passes through as it is. */
function around<T>(work: () => Promise<T>): Promise<T> {
  return translatingFailures(() => heartbeatWhile(work));
}

function stepTransaction(db: EntityManager, tenantId: string | null, actor: AuditActor): StepTransaction {
  return {
    db,
    audit: (action, targetType, targetId, after) =>
      appendAuditEntry(db, { tenantId, actor, action, targetType, targetId, ...(after ? { after } : {}) }),
    auditChange: (action, targetType, targetId, before, after) =>
      appendAuditEntry(db, { tenantId, actor, action, targetType, targetId, before, after }),
  };
}

// Production secrets (docs/decisions/0035): a new value or a reveal of a secret whose
// environment's approval policy asks for an approval does not happen at once. The secrets
// routes (api/routes/secrets.ts) ask `approvalFor` whether it does; if so they record the
// change or reveal (secret_approvals) and start changeSecretWithApproval or
// revealSecretWithApproval here, answering 202 with the operation and the approval request.
//
// "Production" is what the tenant's policy says it is: the environment's own policy, else the
// tenant's default, else Atrium's (prod and production: one admin within a day) — the
// policy promotions read (docs/decisions/0020). A secret's `environment` is the name of the
// tenant environment it belongs to (docs/decisions/0019), which is how policies are keyed.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SecretApprovalStarted } from '../../contracts/secrets.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { effectiveApprovalPolicy } from '../../db/repositories/approval-policies.ts';
import type { SecretApprovalKind } from '../../db/repositories/secret-approvals.ts';
import {
  insertSecretApproval,
  nextSecretApprovalNumber,
  updateSecretApproval,
} from '../../db/repositories/secret-approvals.ts';
import type { TenantSecretRow } from '../../db/repositories/tenant-secrets.ts';
import { findTenantSecret } from '../../db/repositories/tenant-secrets.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ApprovalPolicy } from '../../workflows/approvals/policy.ts';
import { applicableRule } from '../../workflows/approvals/policy.ts';
import type {
  changeSecretWithApproval,
  revealSecretWithApproval,
} from '../../workflows/secret-rotation/secret-approval.ts';
import {
  SECRET_CHANGE_KIND,
  SECRET_REVEAL_KIND,
  secretChangeWorkflowId,
  secretRevealWorkflowId,
} from '../../workflows/secret-rotation/approval-contract.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError } from '../http/problem.ts';
import { startOperation } from '../operations/start-operation.ts';
import { startedOperation } from '../operations/operation-view.ts';

/** The policy and rule that make a secret's changes and reveals wait, or null: they happen at once. */
export interface SecretProtection {
  policy: ApprovalPolicy;
  rule: string;
}

export async function approvalFor(
  db: EntityManager,
  tenantId: string,
  environment: string,
): Promise<SecretProtection | null> {
  const { policy } = await effectiveApprovalPolicy(db, tenantId, environment);
  const rule = applicableRule(policy, { environment });
  return rule && rule.stages.length > 0 ? { policy, rule: rule.name } : null;
}

/** A change or reveal waiting for an approval is asked for by a person: the grant and the separation of duties name them. */
export function refuseApiKey(actor: AuditActor, what: string): void {
  if (actor.type !== 'user')
    throw new ProblemError(
      'forbidden',
      `${what} of a secret of a production(-protected) environment waits for an approval, which a person asks for: sign in rather than use an API key.`,
    );
}

interface StartArgs {
  access: TenantAccess;
  secret: TenantSecretRow;
  protection: SecretProtection;
  actor: AuditActor;
  change: { kind: 'change'; stagedStoreVersion: number } | { kind: 'reveal'; version: number };
}

/**
 * Records the change or reveal and starts its workflow. A change whose workflow did not start
 * is recorded `failed` (and the caller destroys the staged value).
 */
export async function startSecretApproval(deps: ApiDeps, args: StartArgs): Promise<SecretApprovalStarted> {
  const { access, secret, protection, actor, change } = args;
  const kind: SecretApprovalKind = change.kind;
  const requestId = randomUUID();
  const number = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
    // The secret's row lock numbers its changes and reveals one at a time.
    const locked = await findTenantSecret(db, access.tenantId, secret.id, { lock: true });
    if (!locked) throw new ProblemError('notFound', `No secret ${secret.id} in this tenant.`);
    const next = await nextSecretApprovalNumber(db, secret.id, kind);
    const workflowId =
      kind === 'change'
        ? secretChangeWorkflowId(access.slug, secret.id, next)
        : secretRevealWorkflowId(access.slug, secret.id, next);
    await insertSecretApproval(db, {
      tenant_id: access.tenantId,
      secret_id: secret.id,
      kind,
      number: next,
      workflow_id: workflowId,
      approval_request_id: requestId,
      requested_by: actor.id,
      staged_store_version: change.kind === 'change' ? change.stagedStoreVersion : null,
      reveal_version: change.kind === 'reveal' ? change.version : null,
    });
    await appendAuditEntry(db, {
      tenantId: access.tenantId,
      actor,
      action: kind === 'change' ? 'secret.change_requested' : 'secret.reveal_requested',
      targetType: 'tenant_secret',
      targetId: secret.id,
      after: {
        name: secret.name,
        environment: secret.environment,
        [kind]: next,
        rule: protection.rule,
        ...(change.kind === 'reveal' ? { version: change.version } : {}),
      },
    });
    return next;
  });

  const common = {
    tenantId: access.tenantId,
    slug: access.slug,
    secretId: secret.id,
    name: secret.name,
    environment: secret.environment,
    number,
    requestedBy: actor,
    approval: { requestId, requesterId: actor.id, policy: protection.policy },
    timings: deps.settings.activityTimings,
  };
  const options = {
    client: deps.temporal.client,
    taskQueuePrefix: deps.temporal.taskQueuePrefix,
    timings: deps.settings.activityTimings,
  };
  const workflowId =
    kind === 'change'
      ? secretChangeWorkflowId(access.slug, secret.id, number)
      : secretRevealWorkflowId(access.slug, secret.id, number);
  const operationKind = kind === 'change' ? SECRET_CHANGE_KIND : SECRET_REVEAL_KIND;
  let started;
  try {
    started = await startOperation(options, {
      kind: operationKind,
      workflowId,
      tenantId: access.tenantId,
      args:
        change.kind === 'change'
          ? ([
              {
                ...common,
                stagedStoreVersion: change.stagedStoreVersion,
                versionRetentionMs: deps.settings.secrets.versionRetentionMs,
              },
            ] satisfies Parameters<typeof changeSecretWithApproval>)
          : ([
              { ...common, version: change.version, grantWindowMs: deps.settings.secrets.revealGrantWindowMs },
            ] satisfies Parameters<typeof revealSecretWithApproval>),
    });
  } catch (error) {
    await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      updateSecretApproval(
        db,
        { secretId: secret.id, kind, number },
        {
          status: 'failed',
          detail: 'The operation could not start.',
        },
      ),
    );
    throw error;
  }
  if (!started.started) throw new ProblemError('conflict', `Another operation holds ${workflowId}.`);
  deps.logger.info(kind === 'change' ? 'Secret change awaits approval' : 'Secret reveal awaits approval', {
    workflowId,
    secretId: secret.id,
    environment: secret.environment,
  });
  return {
    operation: startedOperation(
      { workflowId, runId: started.runId, kind: operationKind, tenantId: access.tenantId },
      { client: deps.temporal.client, namespace: deps.temporal.namespace, temporalUiUrl: deps.temporal.uiPath },
    ),
    kind,
    number,
    approval: { requestId, rule: protection.rule, environment: secret.environment },
  };
}

// The approval primitive's activities (activities/approvals/), as provisioning's worker
// registers them, on one provisioned tenant with two admins, a release manager and a viewer:
// each runs twice (the second run changes, audits and mails nothing) and leaves the bystander
// untouched; every stored request and decision is there for a later simulation to read.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import tenantProvisioning from '../../activities/tenant-provisioning/index.ts';
import type { ApprovalPolicy } from '../../workflows/approvals/policy.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';
import { assertOneEvent, newEvents } from '../support/events.ts';

describe('approval activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof tenantProvisioning.createActivities>;
  let t: TestTenant;
  const requestId = randomUUID();
  const people: Record<string, string> = {};
  const policy: ApprovalPolicy = {
    version: 1,
    rules: [
      {
        name: 'prod',
        stages: [
          { name: 'admins', approvers: { kind: 'role', role: 'admin', count: 2 }, expiresAfterMs: 60_000 },
          {
            name: 'release managers',
            approvers: { kind: 'group', group: 'release-managers', count: 1 },
            expiresAfterMs: 60_000,
          },
        ],
      },
    ],
  };

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-appr' });
    a = tenantProvisioning.createActivities(h.deps);
    t = h.newTenant();
    await h.provision(t);
    for (const [name, role] of [
      ['requester', 'admin'],
      ['admin-a', 'admin'],
      ['admin-b', 'owner'],
      ['manager', 'developer'],
      ['viewer', 'viewer'],
    ] as const) {
      const [user] = await h.database.query<{ id: string }>(
        `INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, $2, now()) RETURNING id`,
        [`${name}@${t.slug}.test`, name],
      );
      people[name] = user!.id;
      await h.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        t.tenantId,
        user!.id,
        role,
      ]);
    }
    await h.database.query(
      `INSERT INTO approval_group_members (tenant_id, group_name, user_id) VALUES ($1, 'release-managers', $2)`,
      [t.tenantId, people.manager],
    );
    await h.database.query(
      `INSERT INTO approval_signing_keys (kid, public_key, not_after) VALUES
         ('ak-current', 'cHVibGljLWtleS1jdXJyZW50', now() + interval '1 day'),
         ('ak-retired-long-ago', 'cHVibGljLWtleS1vbGQ', now() - interval '1 day')`,
    );
  });
  after(async () => {
    await h?.stop();
  });

  it('loadApprovalVerificationKeys: the published public keys, not the long-retired ones', async () => {
    const run = await h.twice(a, 'loadApprovalVerificationKeys', undefined, { tenant: t });
    assert.deepEqual(
      run.result.keys.map((key) => [key.kid, key.publicKey]),
      [['ak-current', 'cHVibGljLWtleS1jdXJyZW50']],
    );
    assert.deepEqual(run.audit, []);
  });

  it('openApprovalRequest: stored with its policy, audited, approval.requested emitted, the first stage mailed (not the requester)', async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const run = await h.twice(
      a,
      'openApprovalRequest',
      {
        requestId,
        tenantId: t.tenantId,
        workflowId: `promotion/${t.slug}/prod/1`,
        subject: { kind: 'promotion', id: 'release-7', label: 'Release 7 to prod' },
        requesterId: people.requester!,
        attributes: { environment: 'prod', risk: 'high' },
        policy,
        rule: 'prod',
        expiresAt,
      },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['approval.requested']);
    assertOneEvent(newEvents(run.before, run.after), 'approval.requested', {
      requestId,
      subject: { kind: 'promotion', id: 'release-7', label: 'Release 7 to prod' },
      operationId: `promotion/${t.slug}/prod/1`,
      requesterId: people.requester!,
      rule: 'prod',
      expiresAt,
    });
    const [request] = run.after.approval_requests;
    assert.deepEqual(
      [request.status, request.stage, request.requester_id, request.policy, request.rule],
      ['pending', 0, people.requester, policy, 'prod'],
    );
    const [notice] = run.after.approval_notifications;
    assert.deepEqual([notice.event, notice.stage], ['opened', 0]);
    // Admins and owners of the tenant; neither the requester nor those of lesser roles.
    assert.deepEqual([...notice.recipients].sort(), [`admin-a@${t.slug}.test`, `admin-b@${t.slug}.test`]);
    const mail = await h.smtp.waitForMail((m) => m.to.includes(`admin-a@${t.slug}.test`));
    assert.match(mail.subject, /Approval needed: Release 7 to prod/);
    assert.match(mail.text, /http:\/\/portal\.atrium\.test\/approvals/);
    assert.equal(h.smtp.mailsTo(`requester@${t.slug}.test`).length, 0);
  });

  it('recordApprovalDecision: one row per approver and request, audited as theirs', async () => {
    const run = await h.twice(
      a,
      'recordApprovalDecision',
      {
        requestId,
        tenantId: t.tenantId,
        userId: people['admin-a']!,
        decision: 'approve',
        comment: 'looks fine',
        stage: 0,
        apiRequestId: 'req-42',
      },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['approval.approved']);
    const [decision] = run.after.approval_decisions;
    assert.deepEqual(
      [decision.user_id, decision.decision, decision.comment, decision.api_request_id],
      [people['admin-a'], 'approve', 'looks fine', 'req-42'],
    );
    const entry = run.after.audit_log.at(-1);
    assert.deepEqual([entry.actor_id, entry.request_id], [people['admin-a'], 'req-42']);
  });

  it('escalateApprovalRequest: next stage, audited, its group mailed', async () => {
    const expiresAt = new Date(Date.now() + 120_000).toISOString();
    const run = await h.twice(
      a,
      'escalateApprovalRequest',
      { requestId, tenantId: t.tenantId, toStage: 1, expiresAt },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['approval.escalated']);
    assert.equal(run.after.approval_requests[0].stage, 1);
    const escalated = run.after.approval_notifications.find((n: { event: string }) => n.event === 'escalated');
    assert.deepEqual(escalated.recipients, [`manager@${t.slug}.test`]);
    const mail = await h.smtp.waitForMail((m) => m.to.includes(`manager@${t.slug}.test`));
    assert.match(mail.subject, /Escalated: Release 7 to prod/);
  });

  it('closeApprovalRequest: closed once with its outcome, approval.decided emitted, the requester mailed', async () => {
    const run = await h.twice(
      a,
      'closeApprovalRequest',
      {
        requestId,
        tenantId: t.tenantId,
        status: 'rejected',
        reason: 'not during the freeze',
        expired: false,
        decidedBy: people.manager!,
      },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['approval.closed']);
    assertOneEvent(newEvents(run.before, run.after), 'approval.decided', {
      requestId,
      subject: { kind: 'promotion', id: 'release-7', label: 'Release 7 to prod' },
      operationId: `promotion/${t.slug}/prod/1`,
      status: 'rejected',
      reason: 'not during the freeze',
      decidedBy: people.manager!,
    });
    const [request] = run.after.approval_requests;
    assert.deepEqual(
      [request.status, request.reason, request.decided_by, request.closed_at !== null],
      ['rejected', 'not during the freeze', people.manager, true],
    );
    const mail = await h.smtp.waitForMail((m) => m.to.includes(`requester@${t.slug}.test`));
    assert.match(mail.subject, /Approval rejected: Release 7 to prod/);
    assert.match(mail.text, /Reason: not during the freeze/);
  });

  it("a tenant's own provisioning approval emits no event (the tenant can have no endpoint yet)", async () => {
    const tenantRequest = randomUUID();
    const base = { requestId: tenantRequest, tenantId: t.tenantId };
    const opened = await h.twice(
      a,
      'openApprovalRequest',
      {
        ...base,
        workflowId: `tenant-provision/${t.slug}`,
        subject: { kind: 'tenant', id: t.tenantId, label: `Tenant ${t.slug}` },
        requesterId: null,
        attributes: { plan: 'enterprise' },
        policy,
        rule: 'prod',
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      },
      { tenant: t },
    );
    const closed = await h.twice(
      a,
      'closeApprovalRequest',
      { ...base, status: 'approved', reason: null, expired: false, decidedBy: people['admin-a']! },
      { tenant: t },
    );
    assert.deepEqual([opened.audit, closed.audit], [['approval.requested'], ['approval.closed']]);
    assert.deepEqual([newEvents(opened.before, opened.after), newEvents(closed.before, closed.after)], [[], []]);
  });

  it('keeps requests and decisions from the application role: no update of decisions, no deletes', async () => {
    // The runtime role may add and close, never rewrite history (a simulation reads it back).
    await assert.rejects(h.dataSource.query(`UPDATE approval_decisions SET decision = 'reject'`), /permission denied/);
    await assert.rejects(h.dataSource.query(`DELETE FROM approval_requests`), /permission denied/);
  });
});

// The approval primitive through the API, on the whole platform: an enterprise signup waits
// for two platform admins (TENANT_APPROVAL_APPROVERS=2). The requester's own approval and a
// viewer's are refused and audited; an Update sent straight to the workflow (as the Temporal
// UI could) without a valid assertion is refused; the queue lists the request for those who
// may decide; two admins approve and provisioning continues; mails go out at each step.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { approveRequestUpdate } from '../../workflows/approvals/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { signUp } from '../support/signup.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import { updateRefused } from '../support/workflow-harness.ts';

describe('approvals through the API', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let secondAdmin: TestUser;

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://portal.atrium.test', TENANT_APPROVAL_APPROVERS: '2' },
    });
    secondAdmin = await seedUser(platform.database, { email: 'staff2@platform.test', platformAdmin: true });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  const as = (who: { headers: Record<string, string> }) => ({
    get: (path: string) => request(platform.baseUrl, 'GET', path, { headers: who.headers }),
    post: (path: string, json: unknown = {}) => request(platform.baseUrl, 'POST', path, { headers: who.headers, json }),
  });

  async function pendingRequest(slug: string) {
    for (let i = 0; i < 150; i += 1) {
      const queue = await as(platform.admin).get(`/api/v1/tenants/${slug}/approvals?mine=false`);
      assert.equal(queue.status, 200, JSON.stringify(queue.body));
      if (queue.body.approvals.length > 0) return queue.body.approvals[0];
      await sleep(100);
    }
    throw new Error(`${slug} never opened an approval request`);
  }

  it('refuses the requester, a viewer and a forged Update; two admins approve and provisioning goes on', async () => {
    const slug = uniqueSlug('appr-api');
    const email = `founder@${slug}.test`;
    const accepted = await signUp(platform.baseUrl, smtp, {
      email,
      password: 'correct horse battery',
      displayName: 'Founder',
      organization: { name: 'Founder Co', slug },
      plan: 'enterprise',
    });
    const requester = { headers: { authorization: `Bearer ${accepted.session.accessToken}` } };
    const operationId = accepted.operation.id;
    const pending = await pendingRequest(slug);
    assert.deepEqual(
      [pending.status, pending.subject.kind, pending.stage.needs, pending.stage.approvals],
      ['pending', 'tenant', '2 × platform-admin', 0],
    );
    const path = `/api/v1/tenants/${slug}/approvals/${pending.id}`;

    // The queue: the admins may decide; the requester sees why they may not.
    const adminQueue = await as(platform.admin).get(`/api/v1/approvals?kind=tenant`);
    assert.ok(
      adminQueue.body.approvals.some((a: { id: string; canDecide: boolean }) => a.id === pending.id && a.canDecide),
    );
    const own = await as(requester).get(`/api/v1/approvals?mine=false`);
    assert.equal(own.status, 200);
    const mine = own.body.approvals.find((a: { id: string }) => a.id === pending.id);
    assert.equal(mine.canDecide, false);
    assert.match(mine.cannotDecideBecause, /separation of duties/);
    assert.deepEqual((await as(requester).get(`/api/v1/approvals`)).body.approvals, [], 'nothing for them to decide');

    // The requester's own approval: refused, and audited.
    const ownApproval = await as(requester).post(`${path}/approve`);
    assert.equal(ownApproval.status, 403, JSON.stringify(ownApproval.body));
    assert.match(ownApproval.body.detail, /separation of duties/);

    // A viewer of the tenant: refused, and audited.
    const viewer = await seedUser(platform.database, { email: `viewer@${slug}.test` });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
      accepted.tenant.id,
      viewer.userId,
    ]);
    const viewerApproval = await as(viewer).post(`${path}/approve`);
    assert.equal(viewerApproval.status, 403);
    assert.match(viewerApproval.body.detail, /needs 2 × platform-admin/);

    // Straight to the workflow, around the API: no assertion, and a made-up one.
    const handle = platform.temporal.workflow.getHandle(operationId);
    await assert.rejects(
      handle.executeUpdate(approveRequestUpdate, { args: [{ requestId: pending.id, assertion: '' }] }),
      updateRefused(/no approval assertion/),
    );
    const forged = `${Buffer.from(
      JSON.stringify({ v: 1, kid: 'ak-mine', wf: operationId, req: pending.id, act: 'approve', sub: viewer.userId }),
    ).toString('base64url')}.${'A'.repeat(86)}`;
    await assert.rejects(
      handle.executeUpdate(approveRequestUpdate, { args: [{ requestId: pending.id, assertion: forged }] }),
      updateRefused(/Refused: the approval assertion/),
    );

    // A rejection needs a comment (the wire contract names the field; nothing reaches the workflow).
    const bare = await as(platform.admin).post(`${path}/reject`, {});
    assert.equal(bare.status, 422);
    assert.equal(bare.body.errors[0].path, 'comment');

    // Two admins: the first leaves it pending, the second approves it; a second try is refused.
    const first = await as(platform.admin).post(`${path}/approve`, { comment: 'contract on file' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { requestId: pending.id, status: 'pending', approvals: 1, needed: 2 });
    const again = await as(platform.admin).post(`${path}/approve`);
    assert.equal(again.status, 409);
    assert.match(again.body.detail, /one person decides once/);
    const second = await as(secondAdmin).post(`${path}/approve`);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.status, 'approved');

    const operation = await waitForOperation(platform, operationId);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));

    // Every request and decision is stored; every refusal and change is audited.
    const [stored] = await platform.database.query<{ status: string; requester_id: string; decided_by: string }>(
      `SELECT status, requester_id, decided_by FROM approval_requests WHERE id = $1`,
      [pending.id],
    );
    assert.deepEqual(
      [stored?.status, stored?.requester_id, stored?.decided_by],
      ['approved', accepted.session.user.id, secondAdmin.userId],
    );
    const decisions = await platform.database.query<{ user_id: string; comment: string | null }>(
      `SELECT user_id, comment FROM approval_decisions WHERE request_id = $1 ORDER BY id`,
      [pending.id],
    );
    assert.deepEqual(
      decisions.map((d) => [d.user_id, d.comment]),
      [
        [platform.admin.userId, 'contract on file'],
        [secondAdmin.userId, null],
      ],
    );
    const audit = await platform.database.query<{ action: string; actor_id: string; after: Record<string, string> }>(
      `SELECT action, actor_id, after FROM audit_log WHERE tenant_id = $1 AND action LIKE 'approval.%' ORDER BY id`,
      [accepted.tenant.id],
    );
    assert.deepEqual(
      audit.map((entry) => [entry.action, entry.actor_id, entry.after?.code ?? entry.after?.status ?? null]),
      [
        ['approval.requested', accepted.session.user.id, null],
        ['approval.refused', accepted.session.user.id, 'requester'],
        ['approval.refused', viewer.userId, 'not-an-approver'],
        ['approval.approved', platform.admin.userId, null],
        ['approval.refused', platform.admin.userId, 'decided-already'],
        ['approval.approved', secondAdmin.userId, null],
        ['approval.closed', secondAdmin.userId, 'approved'],
      ],
    );

    // Mails: the admins when it opened, the requester when it was decided.
    for (const admin of [platform.admin.email, secondAdmin.email])
      await smtp.waitForMail((m) => m.to.includes(admin) && /Approval needed: Tenant Founder Co/.test(m.subject));
    await smtp.waitForMail((m) => m.to.includes(email) && /Approval approved/.test(m.subject));
    await recordHistory(platform.temporal, operationId, 'provision-tenant-two-approvals');
  });
});

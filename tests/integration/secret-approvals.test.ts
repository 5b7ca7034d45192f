// Production secrets (docs/decisions/0035): a new value or a reveal of a secret whose
// environment's approval policy asks for an approval waits for it. On the whole platform
// (embedded defaults: the local secret store, Temporal's dev server): a new value is staged in
// the store, not current, until another admin approves it — the requester cannot — and a
// rejection destroys it, the old version staying current; an approved reveal is a grant its
// requester uses once; a staging secret changes at once as before; a tenant's own policy
// decides for its environments. No value appears in any workflow history, log line, approval
// request or audit entry.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { waitFor } from '../support/wait-for.ts';

describe('production secrets wait for an approval', () => {
  let platform: Platform;
  const tenant = { id: '', slug: '' };
  const people: Record<'owner' | 'admin' | 'developer', TestUser> = {} as never;
  /** Every value this file sends, by what it is. */
  const values: Record<string, string> = {};
  const fresh = (label: string) => {
    const value = `${label}-${randomBytes(18).toString('base64url')}`;
    values[label] = value;
    return value;
  };

  before(async () => {
    // Loopback hooks are allowed: the verify-hook case names one (nothing calls it).
    platform = await startPlatform({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const slug = uniqueSlug('prodsec');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Org ${slug}`, plan: 'team', ownerEmail: `invited@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const operation = await waitForOperation(platform, created.body.operation.id, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    Object.assign(tenant, { id: created.body.tenant.id, slug });
    for (const role of ['owner', 'admin', 'developer'] as const) {
      people[role] = await seedUser(platform.database, { email: `${role}@${slug}.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenant.id,
        people[role].userId,
        role,
      ]);
    }
  });
  after(async () => {
    await platform?.stop();
  });

  const base = () => `/api/v1/tenants/${tenant.slug}/secrets`;
  const call = (who: TestUser, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers: who.headers, ...(json === undefined ? {} : { json }) });
  async function createSecret(name: string, environment: string): Promise<string> {
    const created = await call(people.owner, 'POST', base(), {
      name,
      kind: 'generic',
      environment,
      value: fresh(`${name}-1`),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  }
  const currentVersion = async (secretId: string) =>
    ((await call(people.owner, 'GET', `${base()}/${secretId}`)).body as { version: number }).version;
  const storeVersions = async (secretId: string) =>
    (
      await platform.database.query<{ version: number }>(
        `SELECT version FROM local_secrets WHERE path = $1 ORDER BY version`,
        [`tenants/${tenant.slug}/secrets/${secretId}`],
      )
    ).map((row) => row.version);
  const approvalRow = async (secretId: string, kind: string, number: number) =>
    (
      await platform.database.query<{ status: string; detail: string | null; version: number | null }>(
        `SELECT status, detail, version FROM secret_approvals WHERE secret_id = $1 AND kind = $2 AND number = $3`,
        [secretId, kind, number],
      )
    )[0];

  /** The approval request of the operation, once it takes decisions. */
  async function pendingApproval(workflowId: string, kind: string) {
    const pending = await waitFor(`the approval request of ${workflowId}`, async () => {
      const queue = await call(people.admin, 'GET', `/api/v1/tenants/${tenant.slug}/approvals?mine=false&kind=${kind}`);
      assert.equal(queue.status, 200, JSON.stringify(queue.body));
      return (queue.body.approvals as Array<{ id: string; operation: { id: string } }>).find(
        (a) => a.operation.id === workflowId,
      );
    }).catch(async (error: unknown) => {
      const operation = await call(platform.admin, 'GET', operationPath(workflowId));
      throw new Error(`${String(error)}: ${JSON.stringify(operation.body)}`);
    });
    return { ...pending, path: `/api/v1/tenants/${tenant.slug}/approvals/${pending.id}` } as typeof pending & {
      path: string;
      subject: { kind: string; id: string; label: string };
      canDecide: boolean;
    };
  }

  it('changes a staging secret at once, as before', async () => {
    const secretId = await createSecret('STAGING_TOKEN', 'staging');
    const changed = await call(people.developer, 'POST', `${base()}/${secretId}/versions`, {
      value: fresh('STAGING_TOKEN-2'),
    });
    assert.equal(changed.status, 201, JSON.stringify(changed.body));
    assert.equal(changed.body.version, 2);
    const revealed = await call(people.owner, 'POST', `${base()}/${secretId}/reveal`, {});
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    assert.equal(revealed.body.value, values['STAGING_TOKEN-2']);
  });

  let prodId = '';

  it('stages a production value until another admin approves; the requester cannot; approved, it is current', async () => {
    prodId = await createSecret('PROD_TOKEN', 'production');
    const started = await call(people.owner, 'POST', `${base()}/${prodId}/versions`, { value: fresh('PROD_TOKEN-2') });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.kind, 'change');
    assert.equal(started.body.number, 1);
    assert.deepEqual(started.body.approval.rule, 'production');
    const workflowId = started.body.operation.id as string;
    assert.equal(workflowId, `secret-change/${tenant.slug}/${prodId}/1`);
    assert.ok(!JSON.stringify(started.body).includes(values['PROD_TOKEN-2']!));

    const pending = await pendingApproval(workflowId, 'secret-change');
    assert.equal(pending.subject.kind, 'secret-change');
    assert.equal(pending.subject.label, 'New value of secret PROD_TOKEN (production)');
    assert.equal(await currentVersion(prodId), 1, 'nothing changes before the approval');
    assert.deepEqual(await storeVersions(prodId), [1, 2], 'the value is staged in the store');

    const own = await call(people.owner, 'POST', `${pending.path}/approve`, {});
    assert.equal(own.status, 403, JSON.stringify(own.body));
    assert.match(own.body.detail, /separation of duties/);
    const approved = await call(people.admin, 'POST', `${pending.path}/approve`, { comment: 'rotating the token' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const operation = await waitForOperation(platform, workflowId, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
      ['approval:completed', 'apply:completed'],
    );
    await recordHistory(platform.temporal, workflowId, 'change-secret-with-approval-applied');
    assert.equal(await currentVersion(prodId), 2);
    assert.equal((await approvalRow(prodId, 'change', 1))?.status, 'applied');
    const audit = await platform.database.query<{ action: string; actor_id: string | null }>(
      `SELECT action, actor_id FROM audit_log WHERE target_id = $1 ORDER BY id`,
      [prodId],
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      ['secret.created', 'secret.change_requested', 'secret.version_added'],
    );
    assert.equal(audit[2]?.actor_id, people.owner.userId, 'the requester set the value');
  });

  it('refuses a production change asked with an API key, and destroys nothing it did not stage', async () => {
    const key = await call(people.owner, 'POST', `/api/v1/tenants/${tenant.slug}/api-keys`, {
      name: 'ci',
      role: 'admin',
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const answer = await request(platform.baseUrl, 'POST', `${base()}/${prodId}/versions`, {
      headers: { authorization: `Bearer ${key.body.key as string}` },
      json: { value: fresh('PROD_TOKEN-by-key') },
    });
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.match(answer.body.detail, /approval/);
    assert.deepEqual(await storeVersions(prodId), [1, 2], 'nothing staged');
  });

  it('destroys a rejected value; the old version stays current', async () => {
    const started = await call(people.owner, 'POST', `${base()}/${prodId}/versions`, { value: fresh('PROD_TOKEN-3') });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.number, 2);
    const workflowId = started.body.operation.id as string;
    const pending = await pendingApproval(workflowId, 'secret-change');
    assert.deepEqual(await storeVersions(prodId), [1, 2, 3], 'staged');
    const rejected = await call(people.admin, 'POST', `${pending.path}/reject`, { comment: 'not during the freeze' });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    const operation = await waitForOperation(platform, workflowId, 60_000);
    assert.equal(operation.status, 'failed', JSON.stringify(operation));
    assert.match(operation.error, /not approved \(rejected: not during the freeze\)/);
    await recordHistory(platform.temporal, workflowId, 'change-secret-with-approval-rejected');
    assert.equal(await currentVersion(prodId), 2);
    assert.deepEqual(await storeVersions(prodId), [1, 2], 'the staged value is gone from the store');
    assert.equal((await approvalRow(prodId, 'change', 2))?.status, 'rejected');
  });

  it('reveals a production secret once, to its requester, after another admin approved', async () => {
    const started = await call(people.owner, 'POST', `${base()}/${prodId}/reveal`, {});
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.kind, 'reveal');
    const number = started.body.number as number;
    const workflowId = started.body.operation.id as string;
    assert.equal(workflowId, `secret-reveal/${tenant.slug}/${prodId}/${number}`);
    const pending = await pendingApproval(workflowId, 'secret-reveal');
    assert.equal(pending.subject.label, 'Reveal of version 2 of secret PROD_TOKEN (production)');

    const early = await call(people.owner, 'POST', `${base()}/${prodId}/reveal`, { grant: number });
    assert.equal(early.status, 409, JSON.stringify(early.body));
    assert.deepEqual(
      early.body.errors.map((e: { path: string }) => e.path),
      ['grant'],
    );
    const own = await call(people.owner, 'POST', `${pending.path}/approve`, {});
    assert.equal(own.status, 403, JSON.stringify(own.body));
    const approved = await call(people.admin, 'POST', `${pending.path}/approve`, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const operation = await waitForOperation(platform, workflowId, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    await recordHistory(platform.temporal, workflowId, 'reveal-secret-with-approval-granted');

    const notTheirs = await call(people.admin, 'POST', `${base()}/${prodId}/reveal`, { grant: number });
    assert.equal(notTheirs.status, 403, JSON.stringify(notTheirs.body));
    const developer = await call(people.developer, 'POST', `${base()}/${prodId}/reveal`, { grant: number });
    assert.equal(developer.status, 403, 'still needs secrets.reveal');
    const revealed = await call(people.owner, 'POST', `${base()}/${prodId}/reveal`, { grant: number });
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    assert.deepEqual(revealed.body, { secretId: prodId, version: 2, value: values['PROD_TOKEN-2'] });
    const again = await call(people.owner, 'POST', `${base()}/${prodId}/reveal`, { grant: number });
    assert.equal(again.status, 410, JSON.stringify(again.body));
    assert.match(again.body.type, /reveal-grant-gone/);
    assert.match(again.headers.get('content-type') ?? '', /application\/problem\+json/);
    const reveals = await platform.database.query<{ after: { grant?: number } }>(
      `SELECT after FROM audit_log WHERE target_id = $1 AND action = 'secret.revealed'`,
      [prodId],
    );
    assert.deepEqual(
      reveals.map((entry) => entry.after.grant),
      [number],
      'one audited reveal',
    );
  });

  it('sets a verify hook on a production secret only with an approved reveal grant, which it uses up', async () => {
    const created = await call(people.owner, 'POST', base(), {
      name: 'PROD_HOOKED',
      kind: 'generic',
      environment: 'production',
      value: fresh('PROD_HOOKED-1'),
      consumers: ['web'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const hookedId = created.body.id as string;
    const settingsPath = `${base()}/${hookedId}/rotation-settings`;
    const hook = { web: 'http://127.0.0.1:9/verify' };
    const settingsRow = async () =>
      (
        await platform.database.query<{ rotation_settings: unknown }>(
          `SELECT rotation_settings FROM tenant_secrets WHERE id = $1`,
          [hookedId],
        )
      )[0]?.rotation_settings;
    const untouched = await settingsRow();

    const developer = await call(people.developer, 'PUT', settingsPath, { verifyHooks: hook });
    assert.equal(developer.status, 403, JSON.stringify(developer.body));
    assert.deepEqual(
      developer.body.errors.map((e: { path: string }) => e.path),
      ['verifyHooks.web'],
    );
    const ungranted = await call(people.owner, 'PUT', settingsPath, { verifyHooks: hook });
    assert.equal(ungranted.status, 409, JSON.stringify(ungranted.body));
    assert.deepEqual(
      ungranted.body.errors.map((e: { path: string }) => e.path),
      ['grant', 'verifyHooks.web'],
    );
    assert.deepEqual(await settingsRow(), untouched, 'nothing changed');
    // Settings that send no value anywhere need no grant.
    const overlap = await call(people.owner, 'PUT', settingsPath, { overlap: '2s' });
    assert.equal(overlap.status, 200, JSON.stringify(overlap.body));

    const asked = await call(people.owner, 'POST', `${base()}/${hookedId}/reveal`, {});
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const number = asked.body.number as number;
    const pending = await pendingApproval(asked.body.operation.id as string, 'secret-reveal');
    const approved = await call(people.admin, 'POST', `${pending.path}/approve`, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal((await waitForOperation(platform, asked.body.operation.id, 60_000)).status, 'completed');

    const notTheirs = await call(people.admin, 'PUT', settingsPath, { verifyHooks: hook, grant: number });
    assert.equal(notTheirs.status, 403, JSON.stringify(notTheirs.body));
    const granted = await call(people.owner, 'PUT', settingsPath, { verifyHooks: hook, grant: number });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.deepEqual(granted.body.verifyHooks, hook);
    const reused = await call(people.owner, 'PUT', settingsPath, {
      verifyHooks: { web: 'http://127.0.0.1:10/verify' },
      grant: number,
    });
    assert.equal(reused.status, 410, JSON.stringify(reused.body));
    const revealAfter = await call(people.owner, 'POST', `${base()}/${hookedId}/reveal`, { grant: number });
    assert.equal(revealAfter.status, 410, 'the hook used the grant up');
    // Removing a hook reveals nothing.
    const removed = await call(people.developer, 'PUT', settingsPath, { verifyHooks: {} });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const audited = await platform.database.query<{ after: { grant?: number } }>(
      `SELECT after FROM audit_log WHERE target_id = $1 AND action = 'secret.rotation_settings_changed' ORDER BY id`,
      [hookedId],
    );
    assert.deepEqual(
      audited.map((entry) => entry.after.grant ?? null),
      [null, number, null],
    );
  });

  it('grants nothing for a rejected reveal', async () => {
    const started = await call(people.owner, 'POST', `${base()}/${prodId}/reveal`, {});
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const number = started.body.number as number;
    const workflowId = started.body.operation.id as string;
    const pending = await pendingApproval(workflowId, 'secret-reveal');
    const rejected = await call(people.admin, 'POST', `${pending.path}/reject`, { comment: 'ask the on-call' });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    const operation = await waitForOperation(platform, workflowId, 60_000);
    assert.equal(operation.status, 'failed', JSON.stringify(operation));
    await recordHistory(platform.temporal, workflowId, 'reveal-secret-with-approval-rejected');
    const refused = await call(people.owner, 'POST', `${base()}/${prodId}/reveal`, { grant: number });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.detail, /not approved/);
  });

  it("follows the tenant's own policy for an environment", async () => {
    const secretId = await createSecret('PAYMENTS_KEY', 'payments');
    const immediate = await call(people.owner, 'POST', `${base()}/${secretId}/versions`, {
      value: fresh('PAYMENTS_KEY-2'),
    });
    assert.equal(immediate.status, 201, 'no policy asks for an approval in "payments"');
    const policy = await call(people.owner, 'PUT', `/api/v1/tenants/${tenant.slug}/approval-policies/payments`, {
      policy: {
        version: 1,
        rules: [
          {
            name: 'payments owners',
            stages: [
              { name: 'owner', approvers: { kind: 'role', role: 'owner', count: 1 }, expiresAfterMs: 3_600_000 },
            ],
          },
        ],
      },
    });
    assert.ok(policy.status === 201 || policy.status === 200, JSON.stringify(policy.body));
    const started = await call(people.admin, 'POST', `${base()}/${secretId}/versions`, {
      value: fresh('PAYMENTS_KEY-3'),
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.approval.rule, 'payments owners');
    const pending = await pendingApproval(started.body.operation.id, 'secret-change');
    const approved = await call(people.owner, 'POST', `${pending.path}/approve`, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const operation = await waitForOperation(platform, started.body.operation.id, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.equal(await currentVersion(secretId), 3);
  });

  it('keeps every value out of workflow histories, logs, approval requests and the audit log', async () => {
    const queues = [...platform.taskQueues, platform.legacyTaskQueue].map((queue) => `"${queue}"`).join(', ');
    const places: Record<string, string> = {};
    let approvalHistories = 0;
    for await (const execution of platform.temporal.workflow.list({ query: `TaskQueue IN (${queues})` })) {
      const history = await platform.temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      places[`the history of ${execution.workflowId}`] = historyText(history);
      if (/^secret-(change|reveal)\//.test(execution.workflowId)) approvalHistories += 1;
    }
    assert.ok(approvalHistories >= 5, `the approval workflows' histories were read (${approvalHistories})`);
    places['the API log'] = platform.api.output();
    places['the worker log'] = platform.worker.output();
    for (const table of ['approval_requests', 'audit_log', 'secret_approvals', 'outbox_events'] as const) {
      const exists = await platform.database.query<unknown[]>(`SELECT 1 FROM pg_tables WHERE tablename = $1`, [table]);
      if (exists.length === 0) continue;
      const rows = await platform.database.query<{ t: string }>(`SELECT to_jsonb(t)::text AS t FROM "${table}" t`);
      places[`table ${table}`] = rows.map((row) => row.t).join('\n');
    }
    assert.ok(places['table approval_requests']?.includes('PROD_TOKEN'), 'the approval requests were read');
    const found: string[] = [];
    for (const [place, text] of Object.entries(places))
      for (const [what, value] of Object.entries(values)) if (text.includes(value)) found.push(`${what} in ${place}`);
    assert.deepEqual(found, []);
  });
});

/** A history as text, its payloads (bytes in the protobuf objects) decoded as UTF-8. */
function historyText(history: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}

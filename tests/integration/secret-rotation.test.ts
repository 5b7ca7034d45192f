// Secret rotation through the whole platform (API, worker, Temporal dev server, PostgreSQL,
// the local secret store, SMTP capture), with real consumers: an HTTP server on loopback whose
// paths are the consumers' verify hooks (through the outbound guard, loopback allowed).
//
// - "rotate now" of a generated secret: every consumer updated and verified, then switched;
//   the report says who was verified and when;
// - a consumer that refuses the new value: the rotation rolls back (the old version current and
//   still valid at every consumer, the new one abandoned) and alerts (audit, event, mail);
// - an API key: the new key works beside the old during the grace period the tenant sees (the
//   old key's expiry), then the old one is revoked;
// - a short policy on a Temporal Schedule rotates a secret twice; removing it deletes the Schedule;
// - a kind Atrium cannot rotate: the reminder mail, "I rotated it", who confirmed;
// - bad input and other tenants change nothing; no value appears in any workflow history,
//   log line, audit entry, event or API answer other than the audited reveal.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { rotateSecretWorkflowId, rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { assertNoSecrets, historyText } from '../support/connectors.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { RotationConsumers } from '../support/rotation-consumer.ts';
import { startRotationConsumers } from '../support/rotation-consumer.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import { waitFor } from '../support/wait-for.ts';

describe('secret rotation', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let consumers: RotationConsumers;
  const people: Record<'owner' | 'developer' | 'viewer' | 'outsider' | 'freeOwner', TestUser> = {} as never;
  const tenant = { id: '', slug: '' };
  const freeTenant = { id: '', slug: '' };
  /** Every value created (by the test or by a rotation, read back through the consumers or a reveal). */
  const values: Record<string, string> = {};
  /** Every answer body but the reveals'. */
  const answers: string[] = [];
  const workflowIds = new Set<string>();

  before(async () => {
    smtp = await startSmtpCapture();
    consumers = await startRotationConsumers();
    platform = await startPlatform({
      env: {
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        SECRET_ROTATION_MINIMUM: '2s',
        SECRET_VERSION_RETENTION: '1h',
        SMTP_URL: smtp.url,
      },
    });
    const admin = platform.admin.headers;
    for (const [target, plan, prefix] of [
      [tenant, 'team', 'rotation'],
      [freeTenant, 'free', 'rotation-free'],
    ] as const) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: admin,
        json: { slug: uniqueSlug(prefix), name: prefix, plan, ownerEmail: `${prefix}@rotation.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      target.id = created.body.tenant.id;
      target.slug = created.body.tenant.slug;
    }
    for (const [key, role, target] of [
      ['owner', 'owner', tenant],
      ['developer', 'developer', tenant],
      ['viewer', 'viewer', tenant],
      ['outsider', 'owner', freeTenant],
      ['freeOwner', 'owner', freeTenant],
    ] as const) {
      people[key] = await seedUser(platform.database, { email: `${key}@rotation.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        target.id,
        people[key].userId,
        role,
      ]);
    }
  });
  after(async () => {
    await platform?.stop();
    await consumers?.stop();
    await smtp?.stop();
  });

  const base = (slug = tenant.slug) => `/api/v1/tenants/${slug}/secrets`;
  async function call(person: TestUser, method: string, path: string, json?: unknown) {
    const answer = await request(platform.baseUrl, method, path, { headers: person.headers, json });
    answers.push(JSON.stringify(answer.body ?? null));
    return answer;
  }
  async function reveal(secretId: string, version?: number): Promise<string> {
    const answer = await request(platform.baseUrl, 'POST', `${base()}/${secretId}/reveal`, {
      headers: people.owner.headers,
      json: version ? { version } : {},
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.value as string;
  }
  async function createSecret(body: Record<string, unknown>): Promise<string> {
    // Not production: its reveals happen at once (production's wait for an approval).
    const created = await call(people.owner, 'POST', base(), { environment: 'staging', ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  }
  async function rotateNow(secretId: string, person = people.owner) {
    const started = await call(person, 'POST', `${base()}/${secretId}/rotations`, {});
    assert.equal(started.status, 202, JSON.stringify(started.body));
    workflowIds.add(started.body.operation.workflowId);
    return started.body as { rotation: { number: number; workflowId: string }; operation: { id: string } };
  }
  async function rotationWhen(secretId: string, number: number, done: (status: string) => boolean, timeoutMs = 60_000) {
    return waitFor(
      `rotation ${number} of ${secretId}`,
      async () => {
        const answer = await call(people.viewer, 'GET', `${base()}/${secretId}/rotations/${number}`);
        return answer.status === 200 && done(answer.body.status) ? answer.body : undefined;
      },
      timeoutMs,
    );
  }
  const counts = async () =>
    (
      await platform.database.query(
        `SELECT (SELECT count(*) FROM secret_rotations)::int AS rotations,
                (SELECT count(*) FROM tenant_secret_versions)::int AS versions,
                (SELECT jsonb_agg(rotation_settings ORDER BY id) FROM tenant_secrets) AS settings`,
      )
    )[0];

  let generatedId = '';

  it('rotates a generated secret now: every consumer updated and verified, then switched; the report says when', async () => {
    values.generatedFirst = `gen-first-${randomBytes(12).toString('base64url')}`;
    generatedId = await createSecret({
      name: 'SESSION_KEY',
      kind: 'generic',
      value: values.generatedFirst,
      consumers: ['web', 'worker'],
    });
    const settings = await call(people.owner, 'PUT', `${base()}/${generatedId}/rotation-settings`, {
      generator: { alphabet: 'hex', length: 48 },
      verifyHooks: { web: consumers.url('gen-web'), worker: consumers.url('gen-worker') },
      overlap: '1s',
    });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    assert.equal(settings.body.strategy, 'generated');
    assert.equal(settings.body.overlap, '1s');

    const started = await rotateNow(generatedId);
    assert.equal(started.rotation.number, 1);
    assert.equal(started.rotation.workflowId, rotateSecretWorkflowId(tenant.slug, generatedId, 1));
    // A second "rotate now" while it runs finds it, and starts nothing.
    const again = await call(people.owner, 'POST', `${base()}/${generatedId}/rotations`, {});
    assert.equal(again.status, 409, JSON.stringify(again.body));

    const done = await rotationWhen(generatedId, 1, (status) => status === 'completed');
    assert.equal(done.fromVersion, 1);
    assert.equal(done.toVersion, 2);
    assert.ok(done.overlapUntil && done.finishedAt && Date.parse(done.finishedAt) >= Date.parse(done.overlapUntil));
    assert.deepEqual(
      done.report.map((entry: any) => [entry.consumer, entry.outcome]),
      [
        ['web', 'verified'],
        ['worker', 'verified'],
      ],
    );
    for (const entry of done.report) assert.ok(Date.parse(entry.verifiedAt) >= Date.parse(entry.updatedAt));
    const secret = await call(people.viewer, 'GET', `${base()}/${generatedId}`);
    assert.equal(secret.body.version, 2);
    values.generatedSecond = await reveal(generatedId);
    assert.match(values.generatedSecond, /^[0-9a-f]{48}$/);
    assert.equal(consumers.state('gen-web').current, values.generatedSecond);
    assert.equal(consumers.state('gen-worker').current, values.generatedSecond);
    assert.equal(await reveal(generatedId, 1), values.generatedFirst, 'the old value is kept');
    assert.deepEqual(
      consumers.state('gen-web').calls.map((c) => `${c.phase}:${c.version}`),
      ['update:2', 'verify:2'],
    );
    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_id = $1 AND action LIKE 'secret.rotation%' ORDER BY id`,
      [generatedId],
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      [
        'secret.rotation_settings_changed',
        'secret.rotation_started',
        'secret.rotation_version_created',
        'secret.rotation_consumers_updated',
        'secret.rotation_consumers_verified',
        'secret.rotation_switched',
        'secret.rotation_completed',
      ],
    );
    const [event] = await platform.database.query<{ payload: any }>(
      `SELECT payload FROM event_outbox WHERE tenant_id = $1 AND type = 'secret.rotated'`,
      [tenant.id],
    );
    assert.equal(event?.payload.toVersion, 2);
    await recordHistory(platform.temporal, done.workflowId, 'rotate-secret-completed');
  });

  it('rolls back when a consumer refuses the new value: the old version stays current and valid, and the owners are alerted', async () => {
    consumers.state('gen-worker').refuseVerify = true;
    const started = await rotateNow(generatedId);
    assert.equal(started.rotation.number, 2);
    const done = await rotationWhen(generatedId, 2, (status) => status !== 'running' && status !== 'overlap');
    assert.equal(done.status, 'rolled_back');
    assert.equal(done.toVersion, 3);
    assert.match(done.message, /worker.*HTTP 403/);
    assert.deepEqual(
      done.report.map((entry: any) => [entry.consumer, entry.outcome]),
      [
        ['web', 'rolled_back'],
        ['worker', 'refused'],
      ],
    );
    const secret = await call(people.viewer, 'GET', `${base()}/${generatedId}`);
    assert.equal(secret.body.version, 2, 'the old version is current');
    assert.equal(await reveal(generatedId), values.generatedSecond);
    values.generatedAbandoned = await reveal(generatedId, 3);
    assert.notEqual(values.generatedAbandoned, values.generatedSecond);
    assert.equal(consumers.state('gen-web').current, values.generatedSecond, 'the consumer got the old value back');
    assert.equal(
      consumers.state('gen-worker').current,
      values.generatedSecond,
      'the consumer that took the new value and refused it got the old one back too',
    );
    assert.match(done.report[1].detail, /verify: HTTP 403; rollback: HTTP 204/);
    const versions = await call(people.viewer, 'GET', `${base()}/${generatedId}/versions`);
    assert.deepEqual(
      versions.body.items.map((v: any) => [v.version, v.current]),
      [
        [3, false],
        [2, true],
        [1, false],
      ],
    );
    assert.equal(versions.body.items[1].retainedUntil, null, 'the current version is not due for destruction');
    const [audit] = await platform.database.query<{ after: any }>(
      `SELECT after FROM audit_log WHERE target_id = $1 AND action = 'secret.rotation_rolled_back'`,
      [generatedId],
    );
    assert.match(audit!.after.reason, /worker/);
    const [event] = await platform.database.query<{ payload: any }>(
      `SELECT payload FROM event_outbox WHERE tenant_id = $1 AND type = 'secret.rotation_failed'`,
      [tenant.id],
    );
    assert.equal(event?.payload.outcome, 'rolled_back');
    assert.equal(event?.payload.currentVersion, 2);
    const mail = await smtp.waitForMail((m) => /rolled back/.test(m.subject) && m.to.includes('owner@rotation.test'));
    assert.match(mail.text, /Version 2 is current again and still valid/);
    await recordHistory(platform.temporal, done.workflowId, 'rotate-secret-rolled-back');
    consumers.state('gen-worker').refuseVerify = false;
  });

  it('rotates an API key: the new key works beside the old during the grace period the tenant sees, then the old is revoked', async () => {
    // Its answer shows the key once, like a reveal: kept out of the scanned answers.
    const key = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/api-keys`, {
      headers: people.owner.headers,
      json: { name: 'deploy', role: 'developer' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    values.apiKeyOld = key.body.key;
    const secretId = await createSecret({
      name: 'DEPLOY_KEY',
      kind: 'api-key',
      value: values.apiKeyOld,
      consumers: ['ci'],
    });
    const settings = await call(people.owner, 'PUT', `${base()}/${secretId}/rotation-settings`, {
      verifyHooks: { ci: consumers.url('key-ci') },
      overlap: '4s',
    });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const keyCan = async (apiKey: string) =>
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).status;

    const started = await rotateNow(secretId);
    const overlap = await rotationWhen(secretId, started.rotation.number, (status) => status !== 'running', 30_000);
    assert.equal(overlap.status, 'overlap', JSON.stringify(overlap));
    const newKey = await reveal(secretId);
    const oldKey = values.apiKeyOld!;
    values.apiKeyNew = newKey;
    assert.match(newKey, /^atr_/);
    assert.equal(await keyCan(newKey), 200, 'the new key works');
    assert.equal(await keyCan(oldKey), 200, 'the old key still works in the grace period');
    const keys = await call(people.owner, 'GET', `/api/v1/tenants/${tenant.slug}/api-keys`);
    const old = keys.body.items.find((item: any) => item.id === key.body.apiKey.id);
    assert.equal(old.expiresAt, overlap.overlapUntil, 'the grace period is the old key’s expiry');
    assert.ok(keys.body.items.some((item: any) => item.name === 'deploy (rotation 1)' && item.revokedAt === null));
    assert.ok(overlap.report.some((entry: any) => /Atrium API/.test(entry.consumer) && entry.outcome === 'verified'));

    const done = await rotationWhen(secretId, started.rotation.number, (status) => status === 'completed', 30_000);
    assert.equal(done.status, 'completed');
    assert.equal(await keyCan(oldKey), 401, 'the old key is revoked');
    const keyEvents = await platform.database.query<{ type: string; key: string }>(
      `SELECT type, payload->>'apiKeyId' AS key FROM event_outbox WHERE tenant_id = $1 AND type LIKE 'api_key.%' ORDER BY id`,
      [tenant.id],
    );
    const successor = keys.body.items.find((item: any) => item.name === 'deploy (rotation 1)');
    assert.deepEqual(
      keyEvents.map((event) => `${event.type} ${event.key}`),
      [
        `api_key.created ${key.body.apiKey.id}`,
        `api_key.created ${successor.id}`,
        `api_key.revoked ${key.body.apiKey.id}`,
      ],
    );
    assert.equal(await keyCan(newKey), 200);
    assert.equal(consumers.state('key-ci').current, newKey);
  });

  it('a short policy on a Temporal Schedule rotates a secret twice; removing the policy deletes the Schedule', async () => {
    values.scheduledFirst = `sched-${randomBytes(12).toString('base64url')}`;
    const secretId = await createSecret({
      name: 'SCHEDULED',
      kind: 'generic',
      value: values.scheduledFirst,
      consumers: ['web'],
    });
    const settings = await call(people.owner, 'PUT', `${base()}/${secretId}/rotation-settings`, {
      verifyHooks: { web: consumers.url('sched-web') },
      overlap: '1s',
    });
    assert.equal(settings.status, 200);
    const policy = await call(people.owner, 'PATCH', `${base()}/${secretId}`, { rotationPolicy: { every: '3s' } });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const scheduleId = rotationScheduleId(tenant.slug, secretId);
    const described = await platform.temporal.schedule.getHandle(scheduleId).describe();
    assert.equal(described.action.type, 'startWorkflow');

    const completed = await waitFor(
      'two scheduled rotations',
      async () => {
        const list = await call(people.viewer, 'GET', `${base()}/${secretId}/rotations`);
        const done = list.body.items.filter((item: any) => item.status === 'completed');
        return done.length >= 2 ? done : undefined;
      },
      90_000,
    );
    assert.ok(completed.every((item: any) => item.trigger === 'schedule'));
    const secret = await call(people.viewer, 'GET', `${base()}/${secretId}`);
    assert.ok(secret.body.version >= 3, `version ${secret.body.version}`);
    assert.ok(Date.parse(secret.body.nextRotationAt) > Date.parse(secret.body.rotatedAt));
    values.scheduledLatest = await reveal(secretId);
    const first = completed.at(-1);
    workflowIds.add(first.workflowId);
    for (const item of completed) workflowIds.add(item.workflowId);
    await recordHistory(platform.temporal, first.workflowId, 'rotate-secret-scheduled');
    let parent: { workflowId: string } | undefined;
    for await (const execution of platform.temporal.workflow.list({
      query: `TenantId = '${tenant.id}' AND WorkflowType = 'scheduledSecretRotation' AND ExecutionStatus = 'Completed'`,
    })) {
      parent = execution;
      break;
    }
    assert.ok(parent, 'the Schedule started scheduledSecretRotation');
    workflowIds.add(parent.workflowId);
    await recordHistory(platform.temporal, parent.workflowId, 'scheduled-secret-rotation-completed');

    const removed = await call(people.owner, 'PATCH', `${base()}/${secretId}`, { rotationPolicy: null });
    assert.equal(removed.status, 200);
    await assert.rejects(platform.temporal.schedule.getHandle(scheduleId).describe(), ScheduleNotFoundError);
  });

  it('reminds the owners of a kind Atrium cannot rotate, and records who confirmed "I rotated it"', async () => {
    values.oauth = `oauth-${randomBytes(12).toString('base64url')}`;
    const secretId = await createSecret({
      name: 'GITHUB_CLIENT_SECRET',
      kind: 'oauth-client-secret',
      value: values.oauth,
    });
    await call(people.owner, 'PUT', `${base()}/${secretId}/rotation-settings`, { overlap: '1h' });
    const started = await rotateNow(secretId);
    const waiting = await rotationWhen(
      secretId,
      started.rotation.number,
      (status) => status === 'waiting_confirmation',
    );
    assert.equal(waiting.strategy, 'manual');
    assert.ok(Date.parse(waiting.dueAt) > Date.now() + 3_000_000);
    const mail = await smtp.waitForMail((m) => /Rotate "GITHUB_CLIENT_SECRET"/.test(m.subject));
    assert.match(mail.text, /I rotated it/);
    const viewerTries = await call(
      people.viewer,
      'POST',
      `${base()}/${secretId}/rotations/${started.rotation.number}/confirm`,
    );
    assert.equal(viewerTries.status, 403);
    const confirmed = await call(
      people.developer,
      'POST',
      `${base()}/${secretId}/rotations/${started.rotation.number}/confirm`,
    );
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal(confirmed.body.status, 'confirmed');
    assert.equal(confirmed.body.confirmedBy, 'developer@rotation.test');
    const twice = await call(
      people.owner,
      'POST',
      `${base()}/${secretId}/rotations/${started.rotation.number}/confirm`,
    );
    assert.equal(twice.status, 409);
    await waitForOperation(platform, started.rotation.workflowId);
    await recordHistory(platform.temporal, started.rotation.workflowId, 'rotate-secret-confirmed');
  });

  it('alerts when nobody confirms a manual rotation by its due date', async () => {
    values.oauthLate = `oauth-late-${randomBytes(12).toString('base64url')}`;
    const secretId = await createSecret({
      name: 'SLACK_CLIENT_SECRET',
      kind: 'oauth-client-secret',
      value: values.oauthLate,
    });
    await call(people.owner, 'PUT', `${base()}/${secretId}/rotation-settings`, { overlap: '2s' });
    const started = await rotateNow(secretId);
    const done = await rotationWhen(secretId, started.rotation.number, (status) => status === 'unconfirmed', 30_000);
    assert.match(done.message, /Nobody confirmed/);
    assert.equal(done.confirmedBy, null);
    const [event] = await platform.database.query<{ payload: any }>(
      `SELECT payload FROM event_outbox WHERE tenant_id = $1 AND type = 'secret.rotation_failed' AND payload->>'secretId' = $2`,
      [tenant.id, secretId],
    );
    assert.equal(event?.payload.outcome, 'unconfirmed');
    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_id = $1 AND action = 'secret.rotation_unconfirmed'`,
      [secretId],
    );
    assert.equal(audit.length, 1);
    await smtp.waitForMail((m) => /"SLACK_CLIENT_SECRET" was not rotated/.test(m.subject));
    await waitForOperation(platform, started.rotation.workflowId);
    await recordHistory(platform.temporal, started.rotation.workflowId, 'rotate-secret-unconfirmed');
  });

  it('refuses bad input, other tenants and missing permissions with problem+json, changing nothing', async () => {
    values.db = `db-${randomBytes(9).toString('hex')}`;
    const dbSecret = await createSecret({ name: 'DB_PASSWORD', kind: 'database-password', value: values.db });
    values.free = `free-${randomBytes(9).toString('hex')}`;
    const freeSecret = await call(people.freeOwner, 'POST', base(freeTenant.slug), {
      name: 'F',
      kind: 'generic',
      value: values.free,
    });
    assert.equal(freeSecret.status, 201);
    const before = await counts();
    const problem = async (person: TestUser, method: string, path: string, json: unknown, status: number) => {
      const answer = await call(person, method, path, json);
      assert.equal(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      return answer.body;
    };
    const unknownKind = await problem(
      people.owner,
      'POST',
      base(),
      { name: 'X', kind: 'password-of-doom', value: 'x-value' },
      422,
    );
    assert.ok(unknownKind.errors.some((e: any) => e.path === 'kind'));
    const short = await problem(
      people.owner,
      'PATCH',
      `${base()}/${generatedId}`,
      { rotationPolicy: { every: '1s' } },
      422,
    );
    assert.ok(short.errors.some((e: any) => e.path === 'rotationPolicy.every'));
    // A password of a database the tenant runs is rotated by its owners: the reminder strategy.
    const dbSettings = await call(people.owner, 'GET', `${base()}/${dbSecret}/rotation-settings`);
    assert.equal(dbSettings.status, 200, JSON.stringify(dbSettings.body));
    assert.equal(dbSettings.body.strategy, 'manual');
    await problem(people.viewer, 'POST', `${base()}/${generatedId}/rotations`, {}, 403);
    await problem(people.outsider, 'POST', `${base()}/${generatedId}/rotations`, {}, 404);
    await problem(people.outsider, 'GET', `${base()}/${generatedId}/rotations`, undefined, 404);
    await problem(people.outsider, 'PUT', `${base()}/${generatedId}/rotation-settings`, { overlap: '2s' }, 404);
    // The outsider's own tenant, the other tenant's secret id: not found there.
    await problem(people.outsider, 'POST', `${base(freeTenant.slug)}/${generatedId}/rotations`, {}, 404);
    const feature = await problem(
      people.freeOwner,
      'POST',
      `${base(freeTenant.slug)}/${freeSecret.body.id}/rotations`,
      {},
      403,
    );
    assert.match(feature.detail, /secret-rotation/);
    const hook = await problem(
      people.owner,
      'PUT',
      `${base()}/${generatedId}/rotation-settings`,
      { verifyHooks: { web: 'http://169.254.169.254/latest', nobody: consumers.url('x') }, overlap: '0s' },
      422,
    );
    assert.deepEqual(hook.errors.map((e: any) => e.path).sort(), ['overlap', 'verifyHooks.nobody', 'verifyHooks.web']);
    // A hook receives every new value: a developer (who may rotate, not reveal) may not point one
    // at an address of theirs, nor move an existing one.
    const developerHook = await problem(
      people.developer,
      'PUT',
      `${base()}/${generatedId}/rotation-settings`,
      { verifyHooks: { web: consumers.url('gen-web'), worker: consumers.url('developer-catcher') } },
      403,
    );
    assert.deepEqual(
      developerHook.errors.map((e: any) => e.path),
      ['verifyHooks.worker'],
    );
    assert.match(developerHook.detail, /secrets\.reveal/);
    assert.deepEqual(await counts(), before, 'no rotation claimed, no version made, no settings changed');
  });

  it('never shows a value outside the audited reveal: histories, logs, audit log, events, answers', async () => {
    const histories: string[] = [];
    for (const workflowId of workflowIds) histories.push(await historyText(platform.temporal, workflowId));
    const audit = await platform.database.query(`SELECT to_jsonb(a) AS entry FROM audit_log a`);
    const events = await platform.database.query(`SELECT to_jsonb(e) AS event FROM event_outbox e`);
    const rows = await platform.database.query(
      `SELECT (SELECT jsonb_agg(to_jsonb(r)) FROM secret_rotations r) AS rotations,
              (SELECT jsonb_agg(to_jsonb(s)) FROM tenant_secrets s) AS secrets`,
    );
    assert.ok(Object.keys(values).length >= 9, 'the test collected values to look for');
    assert.ok(histories.length >= 5, `${histories.length} histories`);
    assertNoSecrets(
      {
        'the workflow histories': histories.join('\n'),
        'the API answers (reveals aside)': answers.join('\n'),
        'the audit log': JSON.stringify(audit),
        'the events': JSON.stringify(events),
        'the rotation and secret rows': JSON.stringify(rows),
        'the API log': platform.api.output(),
        'the worker log': platform.worker.output(),
        'the mails': JSON.stringify(smtp.mails),
      },
      values,
    );
  });
});

// @needs-servers: vault stripe kube
// GET /api/v1/admin/health against the real servers: OpenBao, stripe-mock, the local
// Kubernetes control plane, a real SMTP server, PostgreSQL and Temporal all reported up with
// their latency, each family's queue with its pollers; then the SMTP server stops and the
// same request answers 200 with mail down and its last error (never a 5xx). Only platform
// admins may read it (checked before SMTP stops: the tenant it provisions mails its owner).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PlatformHealth } from '../../contracts/health.ts';
import { ROLES } from '../../contracts/members.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { workerEnvFor } from '../support/servers.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import { waitFor } from '../support/wait-for.ts';

const PATH = '/api/v1/admin/health';

describe('admin health', () => {
  let platform: Platform;
  let smtp: SmtpCapture;

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: { ...workerEnvFor({ vault: true, stripe: true, kube: 'admin' }), SMTP_URL: smtp.url },
    });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  const health = async () => {
    const answer = await request(platform.baseUrl, 'GET', PATH, { headers: platform.admin.headers });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return PlatformHealth.parse(answer.body);
  };

  it('reports every component up on the real servers, with latency, and the workers polling each queue', async () => {
    const report = await waitFor('every queue to have pollers', async () => {
      const current = await health();
      return current.status === 'up' ? current : false;
    });
    const byName = Object.fromEntries(report.components.map((c) => [c.component, c]));
    assert.deepEqual(Object.fromEntries(report.components.map((c) => [c.component, [c.adapter, c.status]])), {
      postgres: ['postgres', 'up'],
      temporal: ['temporal', 'up'],
      secretStore: ['vault', 'up'],
      billing: ['stripe', 'up'],
      cluster: ['kubernetes', 'up'],
      mail: ['smtp', 'up'],
    });
    for (const component of report.components) {
      assert.equal(typeof component.latencyMs, 'number', `${component.component} was timed`);
      assert.equal(component.lastError, null, `${component.component} has not failed`);
    }
    assert.ok(byName.postgres);
    // The answering API process's own numbers: the next report counts this one's request.
    const next = await health();
    assert.ok(next.metrics.httpRequests >= 1, JSON.stringify(next.metrics));
    assert.ok(next.metrics.databasePool && next.metrics.databasePool.total >= 1);
    assert.deepEqual(
      report.taskQueues?.map((queue) => queue.family),
      [...WORKFLOW_FAMILIES],
    );
    for (const queue of report.taskQueues ?? []) {
      assert.ok(queue.taskQueue.startsWith(platform.taskQueue), queue.taskQueue);
      assert.ok(queue.workflowPollers >= 1 && queue.activityPollers >= 1, JSON.stringify(queue));
    }
  });

  it('is for platform admins only: 403 for every tenant role and for no role, 401 without a token', async () => {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('health'), name: 'Health Co', plan: 'team', ownerEmail: 'owner@health.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    const people = [await seedUser(platform.database, { email: 'nobody@health.test' })];
    for (const role of ROLES) {
      const person = await seedUser(platform.database, { email: `${role}@health.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        created.body.tenant.id,
        person.userId,
        role,
      ]);
      people.push(person);
    }
    for (const person of people) {
      const refused = await request(platform.baseUrl, 'GET', PATH, { headers: person.headers });
      assert.equal(refused.status, 403, person.email);
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(!JSON.stringify(refused.body).includes('postgres'), 'nothing of the report leaks');
    }
    const anonymous = await request(platform.baseUrl, 'GET', PATH);
    assert.equal(anonymous.status, 401);
  });
  it('reports a component that went away as down with its error, and answers 200', async () => {
    await smtp.stop();
    const report = await health();
    assert.equal(report.status, 'degraded');
    const mail = report.components.find((c) => c.component === 'mail');
    assert.equal(mail?.status, 'down');
    assert.ok(mail?.lastError?.message, 'the error is reported');
    assert.ok(Date.parse(mail?.lastError?.at ?? '') <= Date.now());
    for (const other of report.components.filter((c) => c.component !== 'mail'))
      assert.equal(other.status, 'up', `${other.component} is still up`);
  });
});

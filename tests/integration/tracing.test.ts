// @needs-servers: vault stripe kube jaeger
// One provisioning, one trace: with tracing on (OTLP into the run's Jaeger), a tenant created
// through the HTTP API leaves a single trace in Jaeger that holds the API request, the
// Temporal client's start, the workflow, an activity span for every activity the workflow
// ran, their PostgreSQL queries and their calls to OpenBao, stripe-mock and the Kubernetes
// API; the operation's log lines carry its trace id; the API serves the trace for the
// operation page under the operation's own access rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationTrace } from '../../contracts/operations.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { jaegerServer, tracingEnv, workerEnvFor } from '../support/servers.ts';

const PROBLEM = 'application/problem+json';

/** The operation's trace, once every span the test expects has reached Jaeger (export is batched). */
async function traceOnceComplete(
  platform: Platform,
  id: string,
  complete: (trace: OperationTrace) => boolean,
): Promise<OperationTrace> {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  for (;;) {
    const answer = await request(platform.baseUrl, 'GET', `/api/v1/operations/${encodeURIComponent(id)}/trace`, {
      headers: platform.admin.headers,
    });
    last = answer.body;
    if (answer.status === 200 && complete(answer.body as OperationTrace)) return answer.body as OperationTrace;
    if (Date.now() > deadline)
      assert.fail(`no complete trace of ${id} after 30 s; last answer: ${JSON.stringify(last)}`);
    await sleep(500);
  }
}

/** The JSON log lines of a process's output. */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

describe('tracing: one provisioning, one trace', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform({
      env: tracingEnv(),
      workerEnv: { ...workerEnvFor({ vault: true, stripe: true, kube: 'admin' }), CLUSTER_ENVIRONMENTS: 'production' },
    });
  });
  after(async () => {
    await platform?.stop();
  });

  it('finds the whole trace in Jaeger, and its id on the operation’s log lines', async () => {
    const slug = uniqueSlug('traced');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Org ${slug}`, plan: 'team', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.operation.id as string;
    const operation = await waitForOperation(platform, id, 180_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));

    // Every activity the workflow ran, from its history.
    const activityTypes = new Set<string>();
    for (const event of (await platform.temporal.workflow.getHandle(id).fetchHistory()).events ?? []) {
      const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
      if (type) activityTypes.add(type);
    }
    assert.ok(activityTypes.size >= 8, `activities: ${[...activityTypes].join(', ')}`);

    const trace = await traceOnceComplete(platform, id, (t) =>
      [...activityTypes].every((type) => t.spans.some((s) => s.name === `RunActivity:${type}`)),
    );
    const names = trace.spans.map((s) => s.name);
    const byName = (name: string) => trace.spans.find((s) => s.name === name);

    // The API request is the root, the workflow's start and run hang below it.
    const root = byName('POST /api/v1/tenants');
    assert.ok(root, `no API request span in ${names.join(', ')}`);
    assert.equal(root.parentSpanId, null);
    assert.equal(root.service, 'atrium-api');
    assert.equal(root.kind, 'request');
    const start = byName('StartWorkflow:provisionTenant');
    assert.ok(start, 'no StartWorkflow span');
    assert.equal(start.kind, 'workflow');
    const run = byName('RunWorkflow:provisionTenant');
    assert.ok(run, 'no RunWorkflow span');
    assert.equal(run.service, 'atrium-worker');
    assert.equal(run.kind, 'workflow');
    // Every span belongs to the one tree under the request.
    const ids = new Set(trace.spans.map((s) => s.spanId));
    for (const span of trace.spans)
      if (span !== root) assert.ok(span.parentSpanId && ids.has(span.parentSpanId), `${span.name} is detached`);

    // An activity span per activity, run by the worker.
    for (const type of activityTypes) {
      const activity = byName(`RunActivity:${type}`);
      assert.ok(activity, `no span of activity ${type}`);
      assert.equal(activity.service, 'atrium-worker');
      assert.equal(activity.kind, 'activity');
    }
    // PostgreSQL from both processes; the activities' calls to the real servers.
    const database = trace.spans.filter((s) => s.kind === 'database');
    assert.ok(
      database.some((s) => s.service === 'atrium-api'),
      'no query of the API in the trace',
    );
    assert.ok(
      database.some((s) => s.service === 'atrium-worker'),
      'no query of an activity in the trace',
    );
    const calls = trace.spans.filter((s) => s.kind === 'call' && s.service === 'atrium-worker');
    const callNames = calls.map((s) => s.name);
    for (const method of ['POST', 'PUT', 'GET'])
      assert.ok(
        callNames.some((name) => name.startsWith(method)),
        `no ${method} call in ${callNames.join(', ')}`,
      );
    assert.ok(calls.length >= 5, `outgoing calls: ${callNames.join(', ')}`);
    // The Kubernetes client calls through fetch: its port's calls are spans of their own.
    for (const method of ['ensureNamespace', 'ensureResourceLimits', 'ensureNetworkPolicies'])
      assert.ok(callNames.includes(`kubernetes ${method}`), `no kubernetes ${method} in ${callNames.join(', ')}`);

    // The same trace straight from Jaeger's query API.
    const fromJaeger = await fetch(`${jaegerServer().queryUrl}/api/traces/${trace.traceId}`);
    assert.equal(fromJaeger.status, 200);
    const jaegerBody = (await fromJaeger.json()) as { data: { spans: unknown[] }[] };
    assert.equal(jaegerBody.data[0]?.spans.length, trace.spans.length);

    // The operation's log lines carry the trace id: the API's request line, every line the
    // workflow and its activities wrote.
    const apiLines = logLines(platform.api.output()).filter(
      (line) => line.message === 'request' && line.method === 'POST' && String(line.path).startsWith('/api/v1/tenants'),
    );
    assert.ok(
      apiLines.some((line) => line.traceId === trace.traceId),
      `no API request line with trace ${trace.traceId}`,
    );
    const workerLines = logLines(platform.worker.output()).filter((line) => line.workflowId === id);
    assert.ok(workerLines.length >= 3, `only ${workerLines.length} worker lines of ${id}`);
    for (const line of workerLines) assert.equal(line.traceId, trace.traceId, JSON.stringify(line));

    // A traced history (trace context in its headers) for the replay test, which replays
    // every history with and without the tracing interceptors.
    await recordHistory(platform.temporal, id, 'provision-tenant-completed');
  });

  it('serves the trace under the operation’s access rules', async () => {
    const slug = uniqueSlug('tracedacl');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Org ${slug}`, plan: 'free', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202);
    const id = created.body.operation.id as string;
    const path = `/api/v1/operations/${encodeURIComponent(id)}/trace`;

    const anonymous = await request(platform.baseUrl, 'GET', path);
    assert.equal(anonymous.status, 401);
    // Another tenant's member: the same 404 as for an operation that does not exist.
    const outsider = await seedUser(platform.database, { email: `outsider-${slug}@elsewhere.test` });
    const refused = await request(platform.baseUrl, 'GET', path, { headers: outsider.headers });
    assert.equal(refused.status, 404);
    assert.equal(refused.headers.get('content-type')?.split(';')[0], PROBLEM);
    assert.match(String(refused.body.type), /:not-found$/);
    const missing = await request(platform.baseUrl, 'GET', '/api/v1/operations/tenant-provision%2Fnope/trace', {
      headers: platform.admin.headers,
    });
    assert.equal(missing.status, 404);
    assert.match(String(missing.body.type), /not-found$/);
    await waitForOperation(platform, id, 180_000);
  });
});

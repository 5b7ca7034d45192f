// /metrics of the API and the worker, scraped from their own ports as Prometheus would: the
// text parses, the HTTP counters move with the requests this test makes (labelled by route
// template, never by slug), and one provisioning shows up as started in the API and as
// completed in the worker, beside the Temporal SDK's own worker metrics and the pools; one
// that fails is counted as failed. The admin health page's history counts how operations ended
// from Temporal's visibility (api/metrics/operation-ends.ts): a completed and a failed one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startMetricsHistory } from '../../api/metrics/history.ts';
import { temporalOperationEnds } from '../../api/metrics/operation-ends.ts';
import { createApiMetrics } from '../../api/metrics/registry.ts';
import { startTenantProvisioning } from '../../api/tenant-provisioning/starter.ts';
import { PlatformHealth } from '../../contracts/health.ts';
import { freePort } from '../../scripts/free-port.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import type { Sample } from '../support/prometheus.ts';
import { scrape, sumOf } from '../support/prometheus.ts';
import { waitFor } from '../support/wait-for.ts';

describe('Prometheus metrics', () => {
  let platform: Platform;
  let apiMetrics: string;
  let workerMetrics: string;

  before(async () => {
    const workerPort = await freePort();
    platform = await startPlatform({
      // The health page's history samples every second here.
      env: { METRICS_HISTORY_INTERVAL: '1s' },
      workerEnv: { WORKER_METRICS_PORT: String(workerPort) },
    });
    apiMetrics = /"metricsUrl":"(http:\/\/[^"]+)"/.exec(platform.api.output())?.[1] ?? '';
    assert.match(apiMetrics, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, 'the API logs its metrics address, on loopback');
    workerMetrics = `http://127.0.0.1:${workerPort}/metrics`;
  });
  after(async () => {
    await platform?.stop();
  });

  /** Starts a provisioning that fails; its workflow id. */
  async function startFailingProvisioning(): Promise<string> {
    // A tenant row an operator marked failed: provisioning's activation is refused for good
    // (as in provisioning-compensation.test.ts), so the workflow fails after compensating.
    const slug = uniqueSlug('metrics-fail');
    const tenantId = randomUUID();
    await platform.database.query(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email, failure_reason)
       VALUES ($1, $2, 'Failing', 'free', 'failed', 'o@failing.test', 'blocked by an operator')`,
      [tenantId, slug],
    );
    const started = await startTenantProvisioning(
      {
        client: platform.temporal,
        taskQueuePrefix: platform.taskQueue,
        timings: { heartbeatTimeoutMs: 3_000, startToCloseTimeoutMs: 60_000 },
      },
      { tenantId, slug, name: 'Failing', plan: 'free', ownerEmail: 'o@failing.test' },
    );
    assert.ok(started.started);
    return started.workflowId;
  }

  it('serves metrics on their own port only: not on the API’s, and nothing else on theirs', async () => {
    const onApi = await fetch(new URL('/metrics', platform.baseUrl));
    assert.notEqual(onApi.status, 200);
    assert.ok(!(await onApi.text()).includes('atrium_http_requests_total'));
    const other = await fetch(apiMetrics.replace(/\/metrics$/, '/other'));
    assert.equal(other.status, 404);
  });

  it('counts and times HTTP requests per route template, never per slug', async () => {
    const slug = uniqueSlug('metrics');
    const before = await scrape(apiMetrics);
    const listRoute = { method: 'GET', route: '/api/v1/tenants', status: '200' };
    const tenantRoute = { method: 'GET', route: '/api/v1/tenants/:slug' };
    for (let i = 0; i < 3; i += 1) {
      const answer = await request(platform.baseUrl, 'GET', '/api/v1/tenants', { headers: platform.admin.headers });
      assert.equal(answer.status, 200);
    }
    const missing = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}`, {
      headers: platform.admin.headers,
    });
    assert.equal(missing.status, 404);
    const unknown = await request(platform.baseUrl, 'GET', `/api/v1/no-such-route/${slug}`);
    assert.equal(unknown.status, 404);

    const after = await scrape(apiMetrics);
    const moved = (samples: Sample[], name: string, labels: Record<string, string>) =>
      sumOf(samples, name, labels) - sumOf(before, name, labels);
    assert.equal(moved(after, 'atrium_http_requests_total', listRoute), 3);
    assert.equal(moved(after, 'atrium_http_requests_total', { ...tenantRoute, status: '404' }), 1);
    assert.equal(moved(after, 'atrium_http_requests_total', { route: 'unmatched', status: '404' }), 1);
    assert.equal(
      moved(after, 'atrium_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/tenants' }),
      3,
    );
    const infBucket = sumOf(after, 'atrium_http_request_duration_seconds_bucket', {
      method: 'GET',
      route: '/api/v1/tenants',
      le: '+Inf',
    });
    assert.equal(
      infBucket,
      sumOf(after, 'atrium_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/tenants' }),
    );
    assert.ok(sumOf(after, 'atrium_http_request_duration_seconds_sum', { route: '/api/v1/tenants' }) > 0);
    // No label anywhere carries the slug this test used.
    const leaked = after.filter((sample) => Object.values(sample.labels).some((value) => value.includes(slug)));
    assert.deepEqual(leaked, []);
    // The API's database pool.
    assert.ok(sumOf(after, 'atrium_db_pool_connections', { pool: 'api', state: 'total' }) >= 1);
  });

  it('counts an operation started in the API and completed in the worker, with its kind and plan', async () => {
    const labels = { kind: 'tenant-provision', plan: 'team' };
    const apiBefore = await scrape(apiMetrics);
    const workerBefore = await scrape(workerMetrics);
    const completedBefore = sumOf(workerBefore, 'atrium_operations_completed_total', labels);

    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('metered'), name: 'Metered', plan: 'team', ownerEmail: 'owner@metered.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const final = await waitForOperation(platform, created.body.operation.id);
    assert.equal(final.status, 'completed');

    const apiAfter = await scrape(apiMetrics);
    assert.equal(
      sumOf(apiAfter, 'atrium_operations_started_total', labels) -
        sumOf(apiBefore, 'atrium_operations_started_total', labels),
      1,
    );
    assert.equal(
      sumOf(apiAfter, 'atrium_http_requests_total', { method: 'POST', route: '/api/v1/tenants', status: '202' }) -
        sumOf(apiBefore, 'atrium_http_requests_total', { method: 'POST', route: '/api/v1/tenants', status: '202' }),
      1,
    );

    let workerAfter: Sample[] = [];
    await waitFor('the worker to count the provisioning as completed', async () => {
      workerAfter = await scrape(workerMetrics);
      return sumOf(workerAfter, 'atrium_operations_completed_total', labels) === completedBefore + 1;
    });
    const durations = (samples: Sample[]) =>
      sumOf(samples, 'atrium_operation_duration_seconds_count', { ...labels, outcome: 'completed' });
    assert.equal(durations(workerAfter) - durations(workerBefore), 1);
    // The Temporal SDK's own worker metrics, and the worker's pools, on the same endpoint.
    assert.ok(workerAfter.some((sample) => sample.name.startsWith('temporal_') && sample.labels.task_queue));
    for (const name of ['temporal_activity_schedule_to_start_latency_count', 'temporal_workflow_completed_total'])
      assert.ok(
        workerAfter.some((sample) => sample.name === name),
        `the worker exports ${name}`,
      );
    // (Idle connections close after a while: the gauge is there, whatever it reads now. The worker
    // sets it every 5 s, the first time once its pools are open: wait for one report.)
    await waitFor('the worker to report its pools', async () =>
      (await scrape(workerMetrics)).some(
        (sample) => sample.name === 'atrium_db_pool_connections' && sample.labels.pool === 'worker-tenant-provisioning',
      ),
    );
  });
  it('counts an operation that fails in the worker as failed, with its duration', async () => {
    const labels = { kind: 'tenant-provision', plan: 'free' };
    const failed = (samples: Sample[]) => sumOf(samples, 'atrium_operations_failed_total', labels);
    const durations = (samples: Sample[]) =>
      sumOf(samples, 'atrium_operation_duration_seconds_count', { ...labels, outcome: 'failed' });
    const before = await scrape(workerMetrics);
    assert.equal((await waitForOperation(platform, await startFailingProvisioning())).status, 'failed');

    let after: Sample[] = [];
    await waitFor('the worker to count the provisioning as failed', async () => {
      after = await scrape(workerMetrics);
      return failed(after) === failed(before) + 1;
    });
    assert.equal(durations(after) - durations(before), 1);
    assert.equal(
      sumOf(after, 'atrium_operations_completed_total', labels),
      sumOf(before, 'atrium_operations_completed_total', labels),
    );
  });

  it('counts how operations ended, from Temporal, in the history of the health page', async () => {
    // A history of its own over this platform's Temporal, sampled by hand, with no lag: the test
    // waits for visibility itself, so the sample's counts are exact.
    const ends = temporalOperationEnds({
      client: platform.temporal,
      taskQueuePrefix: platform.taskQueue,
      timeoutMs: 3_000,
    });
    const history = startMetricsHistory(createApiMetrics().registry, {
      intervalMs: 3_600_000,
      windowMs: 3_600_000,
      operationEnds: ends,
      operationEndsLagMs: 0,
    });
    await history.ready;
    const since = new Date();
    try {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug: uniqueSlug('ended'), name: 'Ended', plan: 'team', ownerEmail: 'owner@ended.test' },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal((await waitForOperation(platform, created.body.operation.id)).status, 'completed');
      assert.equal((await waitForOperation(platform, await startFailingProvisioning())).status, 'failed');
      // Visibility records a close shortly after it.
      await waitFor('visibility to count both ends', async () => {
        const counted = await ends(since, new Date(Date.now() + 1_000));
        return counted.completed >= 1 && counted.failed >= 1;
      });
      const sample = await history.sample();
      assert.equal(sample.operationsCompleted, 1, JSON.stringify(sample));
      assert.equal(sample.operationsFailed, 1, JSON.stringify(sample));
      assert.equal(sample.operationsCancelled, 0, JSON.stringify(sample));
      // The next interval has none: each sample counts its own.
      const quiet = await history.sample();
      assert.deepEqual([quiet.operationsCompleted, quiet.operationsFailed], [0, 0]);
    } finally {
      history.stop();
    }

    // The API's own history (every second, a few seconds behind) charts the same ends.
    await waitFor(
      'the API’s history to count a completed and a failed operation',
      async () => {
        const answer = await request(platform.baseUrl, 'GET', '/api/v1/admin/health', {
          headers: platform.admin.headers,
        });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const { samples } = PlatformHealth.parse(answer.body).metrics.history;
        const total = (field: 'operationsCompleted' | 'operationsFailed') =>
          samples.reduce((sum, sample) => sum + (sample[field] ?? 0), 0);
        return total('operationsCompleted') >= 1 && total('operationsFailed') >= 1;
      },
      30_000,
    );
  });
});

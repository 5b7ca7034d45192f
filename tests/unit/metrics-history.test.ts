// The API's metrics history (api/metrics/history.ts) over a real prom-client registry: each
// sample holds what changed since the previous one (not the totals since start), the p95 comes
// from the interval's buckets, the pool is read as it is, the window keeps its newest samples,
// and the timer samples by itself at the configured interval. With Temporal unreachable (a real
// client to a port nobody listens on) the operation ends are null and the rest is sampled.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { quantileBetween, startMetricsHistory } from '../../api/metrics/history.ts';
import { temporalOperationEnds } from '../../api/metrics/operation-ends.ts';
import { createApiMetrics } from '../../api/metrics/registry.ts';
import { MetricsHistory } from '../../contracts/health.ts';
import { freePort } from '../../scripts/free-port.ts';

const request = (status: number, seconds: number) => ({ method: 'GET', route: '/api/v1/me', status, seconds });

describe('metrics history', () => {
  it('samples what happened in each interval, not since the start', async () => {
    const metrics = createApiMetrics();
    // Counted before the sampler starts: part of no interval.
    metrics.recordRequest(request(200, 0.001));
    let pool = { totalCount: 4, idleCount: 1, waitingCount: 2 };
    metrics.watchPool('api', () => pool);
    const history = startMetricsHistory(metrics.registry, { intervalMs: 3_600_000, windowMs: 3 * 3_600_000 });
    await history.ready;
    try {
      for (let i = 0; i < 19; i++) metrics.recordRequest(request(200, 0.02));
      metrics.recordRequest(request(503, 2));
      metrics.operationStarted({ kind: 'tenant.provision', plan: 'starter' });
      metrics.operationStarted({ kind: 'tenant.suspend', plan: 'none' });
      const first = await history.sample();
      assert.equal(first.httpRequests, 20);
      assert.equal(first.httpServerErrors, 1);
      assert.equal(first.operationsStarted, 2);
      assert.equal(first.databasePoolInUse, 3);
      assert.equal(first.databasePoolWaiting, 2);
      assert.equal(first.operationsCompleted, null, 'no Temporal to ask: unknown, not 0');
      // 19 of 20 in the (0.01, 0.025] bucket: the 95th is its upper edge.
      assert.equal(first.httpP95Ms, 25);

      pool = { totalCount: 4, idleCount: 4, waitingCount: 0 };
      const quiet = await history.sample();
      assert.equal(quiet.httpRequests, 0);
      assert.equal(quiet.httpServerErrors, 0);
      assert.equal(quiet.operationsStarted, 0);
      assert.equal(quiet.httpP95Ms, null);
      assert.equal(quiet.databasePoolInUse, 0);

      metrics.recordRequest(request(200, 0.3));
      await history.sample();
      metrics.recordRequest(request(500, 0.3));
      const fourth = await history.sample();
      assert.equal(fourth.httpServerErrors, 1);

      // The window holds three intervals: the oldest sample is gone.
      const kept = MetricsHistory.parse(history.history());
      assert.equal(kept.intervalSeconds, 3600);
      assert.equal(kept.windowSeconds, 3 * 3600);
      assert.deepEqual(
        kept.samples.map((sample) => sample.httpRequests),
        [0, 1, 1],
      );
    } finally {
      history.stop();
    }
  });

  it('samples on its own timer', async () => {
    const metrics = createApiMetrics();
    const history = startMetricsHistory(metrics.registry, { intervalMs: 50, windowMs: 10_000 });
    try {
      metrics.recordRequest(request(200, 0.01));
      const deadline = Date.now() + 5_000;
      while (history.history().samples.length < 3 && Date.now() < deadline) await sleep(20);
      const { samples } = history.history();
      assert.ok(samples.length >= 3, `${samples.length} samples after 5 s`);
      assert.equal(
        samples.reduce((total, sample) => total + sample.httpRequests, 0),
        1,
      );
      assert.equal(samples[0]!.databasePoolInUse, null, 'no pool watched: null, not 0');
    } finally {
      history.stop();
    }
  });

  it('samples the rest, with operation ends unknown, when Temporal does not answer', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const metrics = createApiMetrics();
    const history = startMetricsHistory(metrics.registry, {
      intervalMs: 3_600_000,
      windowMs: 3_600_000,
      operationEnds: temporalOperationEnds({
        client: new Client({ connection }),
        taskQueuePrefix: 'atrium-unreachable',
        timeoutMs: 1_000,
      }),
    });
    await history.ready;
    try {
      metrics.recordRequest(request(200, 0.01));
      const startedAt = Date.now();
      const sample = await history.sample();
      assert.ok(Date.now() - startedAt < 5_000, 'the deadline bounds the wait');
      assert.equal(sample.httpRequests, 1);
      assert.deepEqual(
        [sample.operationsCompleted, sample.operationsFailed, sample.operationsCancelled],
        [null, null, null],
      );
      assert.equal(MetricsHistory.parse(history.history()).samples.length, 1);
    } finally {
      history.stop();
      await connection.close().catch(() => undefined);
    }
  });

  it('interpolates the quantile within its bucket', () => {
    const before = new Map([
      [0.1, 10],
      [1, 10],
      [Infinity, 10],
    ]);
    const after = new Map([
      [0.1, 10],
      [1, 110],
      [Infinity, 110],
    ]);
    // All 100 new requests in (0.1, 1]: the 50th of them is halfway.
    assert.ok(Math.abs(quantileBetween(0.5, before, after)! - 0.55) < 1e-9);
    assert.equal(quantileBetween(0.95, after, after), null);
    // Past the last finite bound: that bound.
    const slow = new Map([
      [0.1, 10],
      [1, 10],
      [Infinity, 20],
    ]);
    assert.equal(quantileBetween(0.95, before, slow), 1);
  });
});

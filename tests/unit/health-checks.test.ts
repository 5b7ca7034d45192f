// The admin health page's checker (api/health/checks.ts) on probes written here: a component
// with nothing configured is not checked, a probe that fails or does not answer in time is
// down with its error, and the last error stays after the component is up again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHealthChecker } from '../../api/health/checks.ts';

describe('health checker', () => {
  it('reports up, down, timed out and not configured, and remembers the last error', async () => {
    let mailFails = true;
    const checker = createHealthChecker(
      [
        { component: 'postgres', label: 'PostgreSQL', adapter: 'postgres', probe: () => Promise.resolve(1) },
        { component: 'cluster', label: 'Cluster', adapter: 'none', probe: null },
        { component: 'billing', label: 'Billing', adapter: 'stripe', probe: () => new Promise(() => {}) },
        {
          component: 'mail',
          label: 'Mail',
          adapter: 'smtp',
          probe: () =>
            mailFails ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:2525')) : Promise.resolve(),
        },
      ],
      { timeoutMs: 50 },
    );

    const first = Object.fromEntries((await checker.check()).map((c) => [c.component, c]));
    assert.equal(first.postgres?.status, 'up');
    assert.equal(first.postgres?.lastError, null);
    assert.equal(first.cluster?.status, 'not-configured');
    assert.equal(first.cluster?.latencyMs, null);
    assert.equal(first.billing?.status, 'down');
    assert.equal(first.billing?.lastError?.message, 'no answer within 50 ms');
    assert.ok((first.billing?.latencyMs ?? 0) >= 45);
    assert.equal(first.mail?.status, 'down');
    assert.equal(first.mail?.lastError?.message, 'connect ECONNREFUSED 127.0.0.1:2525');

    mailFails = false;
    const second = Object.fromEntries((await checker.check()).map((c) => [c.component, c]));
    assert.equal(second.mail?.status, 'up');
    assert.equal(second.mail?.lastError?.message, 'connect ECONNREFUSED 127.0.0.1:2525', 'the last error stays');
  });
});

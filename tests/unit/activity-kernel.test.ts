// The activity kernel's failure translation (activities/shared/failures.ts, applied by
// activities/shared/kernel.ts around every activity): a port error that says a retry would
// repeat it fails the step at once, typed by its name with its message kept; everything else
// keeps its retries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { asActivityFailure, translatingFailures } from '../../activities/shared/failures.ts';
import { BillingError } from '../../integrations/billing/port.ts';
import { ClusterPermissionError, ClusterRequestError } from '../../integrations/cluster/port.ts';
import { SecretStoreError } from '../../integrations/secrets/port.ts';

describe('activity kernel: failure translation', () => {
  it('turns a port error with retryable: false into a non-retryable failure typed by its name', () => {
    const forbidden = new ClusterPermissionError('Kubernetes refused to list namespaces: grant "list namespaces".', {
      verb: 'list',
      resource: 'namespaces',
      namespace: null,
    });
    const failure = asActivityFailure(forbidden);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.type, 'ClusterPermissionError');
    assert.equal(failure.message, forbidden.message);

    for (const error of [
      new SecretStoreError('forbidden', 'Vault refused the token: renew it.'),
      new BillingError('invalid', 'No price for plan "team": set STRIPE_PRICES.'),
    ]) {
      const translated = asActivityFailure(error);
      assert.ok(translated instanceof ApplicationFailure);
      assert.equal(translated.nonRetryable, true);
      assert.equal(translated.type, error.name);
      assert.equal(translated.message, error.message);
    }
  });

  it('lets an ApplicationFailure through as it is', () => {
    const failure = ApplicationFailure.nonRetryable('The slug belongs to another tenant.', 'TenantSlugTaken');
    assert.equal(asActivityFailure(failure), failure);
    const retryable = ApplicationFailure.retryable('Try later.', 'Busy');
    assert.equal(asActivityFailure(retryable), retryable);
  });

  it('keeps plain errors and retryable port errors retryable (rethrown unchanged)', () => {
    const plain = new Error('connection reset');
    assert.equal(asActivityFailure(plain), plain);
    const conflict = new ClusterRequestError('Kubernetes refused to patch deployments (409)', 409, true);
    assert.equal(asActivityFailure(conflict), conflict);
    const unreachable = new SecretStoreError('unreachable', 'Cannot reach Vault.');
    assert.equal(asActivityFailure(unreachable), unreachable);
    // Only `false` counts: an error that says nothing about retrying is retried.
    const vague = Object.assign(new Error('odd'), { retryable: undefined });
    assert.equal(asActivityFailure(vague), vague);
    assert.equal(asActivityFailure('a string'), 'a string');
  });

  it('translates what the work throws and returns what it returns', async () => {
    assert.equal(await translatingFailures(() => Promise.resolve(42)), 42);
    await assert.rejects(
      translatingFailures(() =>
        Promise.reject(new ClusterPermissionError('no', { verb: 'list', resource: 'pods', namespace: 'x' })),
      ),
      (error: unknown) =>
        error instanceof ApplicationFailure && error.nonRetryable && error.type === 'ClusterPermissionError',
    );
    const plain = new Error('transient');
    await assert.rejects(
      translatingFailures(() => Promise.reject(plain)),
      (error: unknown) => error === plain,
    );
  });
});

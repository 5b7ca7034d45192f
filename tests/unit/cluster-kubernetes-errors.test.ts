// How the Kubernetes adapter turns what the API server or the network answered into the
// port's errors: the class (and so whether a retry can help) and a message that says what
// to fix, naming the verb, resource and scope a 403 lacks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Action } from '../../integrations/cluster/kubernetes/errors.ts';
import { isAbort, namespaceFinalizeTimeout, translateError } from '../../integrations/cluster/kubernetes/errors.ts';
import {
  ClusterAuthenticationError,
  ClusterError,
  ClusterPermissionError,
  ClusterRequestError,
  ClusterTimeoutError,
  ClusterUnreachableError,
} from '../../integrations/cluster/port.ts';

const IDENTITY = { target: 'https://127.0.0.1:6443', user: 'atrium-worker' };
const APPLY_NAMESPACE: Action = { verb: 'patch', resource: 'namespaces', group: '', namespace: null };
const APPLY_POLICY: Action = {
  verb: 'patch',
  resource: 'networkpolicies',
  group: 'networking.k8s.io',
  namespace: 'tenant-acme-staging',
};

/** What @kubernetes/client-node throws for an HTTP error: the Status object as the body. */
function apiError(code: number, message?: string, asString = true): k8s.ApiException<unknown> {
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...(message ? { message } : {}) };
  return new k8s.ApiException(code, `HTTP-Code: ${code}`, asString ? JSON.stringify(status) : status, {});
}

/** What undici's fetch throws when the connection fails: the code sits on the cause. */
function networkError(code: string): Error {
  const cause = Object.assign(new Error(code), { code });
  return new TypeError('fetch failed', { cause });
}

describe('Kubernetes error mapping', () => {
  it('401: the credentials are rejected; names the server and the user, never retried', () => {
    const error = translateError(apiError(401, 'Unauthorized'), APPLY_NAMESPACE, IDENTITY);
    assert.ok(error instanceof ClusterAuthenticationError, `got ${String(error)}`);
    assert.equal(error.retryable, false);
    assert.match(error.message, /at https:\/\/127\.0\.0\.1:6443 rejected the credentials of user "atrium-worker"/);
    assert.match(error.message, /401 Unauthorized/);
    assert.match(error.message, /replace it/);
  });

  it('403 on a cluster-scoped create: names the verb the server checked, the resource and cluster-wide', () => {
    const said =
      'namespaces is forbidden: User "atrium-limited" cannot create resource "namespaces" in API group "" at the cluster scope';
    const error = translateError(apiError(403, said), APPLY_NAMESPACE, IDENTITY);
    assert.ok(error instanceof ClusterPermissionError, `got ${String(error)}`);
    assert.equal(error.retryable, false);
    assert.equal(error.verb, 'create', 'the server said create, though the request was a patch (apply)');
    assert.equal(error.resource, 'namespaces');
    assert.equal(error.namespace, null);
    assert.match(error.message, /^The kubeconfig's user "atrium-limited" may not create namespaces cluster-wide: /);
    assert.match(
      error.message,
      /grant it "create" on "namespaces" \(server-side apply needs both "create" and "patch"\)/,
    );
    assert.match(error.message, /ClusterRole and a ClusterRoleBinding/);
    assert.ok(error.message.endsWith(`The API server said: ${said}`), error.message);
  });

  it('403 in a namespace: names the API group and the namespace, and the user the server saw', () => {
    const said =
      'networkpolicies.networking.k8s.io "atrium-default-deny" is forbidden: User "system:serviceaccount:atrium:worker" ' +
      'cannot patch resource "networkpolicies" in API group "networking.k8s.io" in the namespace "tenant-acme-staging"';
    const error = translateError(apiError(403, said, false), APPLY_POLICY, IDENTITY);
    assert.ok(error instanceof ClusterPermissionError, `got ${String(error)}`);
    assert.deepEqual(
      [error.verb, error.resource, error.namespace],
      ['patch', 'networkpolicies', 'tenant-acme-staging'],
    );
    assert.match(
      error.message,
      /user "system:serviceaccount:atrium:worker" may not patch networkpolicies \(API group networking\.k8s\.io\) in namespace tenant-acme-staging: /,
    );
  });

  it('403 on a namespace reported "in the namespace" of its own name: still cluster-wide', () => {
    const said =
      'namespaces "tenant-acme-staging" is forbidden: User "atrium-limited" cannot delete resource "namespaces" ' +
      'in API group "" in the namespace "tenant-acme-staging"';
    const action: Action = { verb: 'delete', resource: 'namespaces', group: '', namespace: null };
    const error = translateError(apiError(403, said), action, IDENTITY);
    assert.ok(error instanceof ClusterPermissionError, `got ${String(error)}`);
    assert.equal(error.verb, 'delete');
    assert.equal(error.namespace, null);
    assert.match(error.message, /may not delete namespaces cluster-wide: grant it "delete" on "namespaces" with/);
    assert.doesNotMatch(error.message, /server-side apply/, 'the apply hint is for create and patch only');
  });

  it('403 the message does not explain: falls back to the request and the kubeconfig user', () => {
    const action: Action = { verb: 'list', resource: 'deployments', group: 'apps', namespace: 'tenant-acme-staging' };
    const error = translateError(apiError(403), action, IDENTITY);
    assert.ok(error instanceof ClusterPermissionError, `got ${String(error)}`);
    assert.deepEqual([error.verb, error.resource, error.namespace], ['list', 'deployments', 'tenant-acme-staging']);
    assert.match(
      error.message,
      /^The kubeconfig's user "atrium-worker" may not list deployments \(API group apps\) in namespace tenant-acme-staging: /,
    );
    assert.doesNotMatch(error.message, /The API server said/);
  });

  it('403 because the namespace is being terminated: a retryable request error, not a permission', () => {
    const said =
      'secrets "db" is forbidden: unable to create new content in namespace tenant-acme-staging because it is being terminated';
    const action: Action = { verb: 'patch', resource: 'secrets', group: '', namespace: 'tenant-acme-staging' };
    const error = translateError(apiError(403, said), action, IDENTITY);
    assert.ok(
      error instanceof ClusterRequestError && !(error instanceof ClusterPermissionError),
      `got ${String(error)}`,
    );
    assert.equal(error.status, 403);
    assert.equal(error.retryable, true);
    assert.match(error.message, /Namespace tenant-acme-staging is being deleted/);
  });

  it('other statuses: request errors, retryable for 409, 429 and 5xx only', () => {
    const action: Action = { verb: 'patch', resource: 'secrets', group: '', namespace: 'tenant-acme-staging' };
    for (const [status, retryable] of [
      [404, false],
      [409, true],
      [422, false],
      [429, true],
      [500, true],
      [503, true],
    ] as const) {
      const error = translateError(apiError(status, 'the reason'), action, IDENTITY);
      assert.ok(error instanceof ClusterRequestError, `${status}: got ${String(error)}`);
      assert.equal(error.status, status);
      assert.equal(error.retryable, retryable, `${status}`);
      assert.equal(
        error.message,
        `Kubernetes refused to patch secrets in namespace tenant-acme-staging (${status}): the reason`,
      );
    }
    const clusterWide = translateError(apiError(500), APPLY_NAMESPACE, IDENTITY);
    assert.equal(clusterWide.message, 'Kubernetes refused to patch namespaces (500)');
  });

  it('a watch failure carries its status as statusCode', () => {
    const action: Action = { verb: 'watch', resource: 'namespaces', group: '', namespace: null };
    const error = translateError({ statusCode: 410 }, action, IDENTITY);
    assert.ok(error instanceof ClusterRequestError, `got ${String(error)}`);
    assert.equal(error.status, 410);
    assert.equal(error.retryable, false);
  });

  it('a refused connection: unreachable, retryable, naming the server address', () => {
    const error = translateError(networkError('ECONNREFUSED'), APPLY_NAMESPACE, IDENTITY);
    assert.ok(error instanceof ClusterUnreachableError, `got ${String(error)}`);
    assert.equal(error.retryable, true);
    assert.match(
      error.message,
      /^Cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:6443 \(ECONNREFUSED\)/,
    );
  });

  it('an untrusted certificate: unreachable but not retryable, pointing at the kubeconfig CA', () => {
    const error = translateError(networkError('SELF_SIGNED_CERT_IN_CHAIN'), APPLY_NAMESPACE, IDENTITY);
    assert.ok(error instanceof ClusterUnreachableError, `got ${String(error)}`);
    assert.equal(error.retryable, false);
    assert.match(
      error.message,
      /TLS certificate .* at https:\/\/127\.0\.0\.1:6443 is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
    assert.match(error.message, /certificate-authority-data/);
  });

  it('leaves port errors and unknown failures as they are', () => {
    const already = new ClusterTimeoutError('already translated');
    assert.equal(translateError(already, APPLY_NAMESPACE, IDENTITY), already);
    const other = new RangeError('something else');
    assert.equal(translateError(other, APPLY_NAMESPACE, IDENTITY), other);
    const thrownString = translateError('a string', APPLY_NAMESPACE, IDENTITY);
    assert.ok(thrownString instanceof Error && !(thrownString instanceof ClusterError));
    assert.equal(thrownString.message, 'a string');
  });

  it('a namespace that does not finalize in time names its finalizers and conditions', () => {
    const error = namespaceFinalizeTimeout(
      {
        metadata: { name: 'tenant-acme-staging' },
        spec: { finalizers: ['kubernetes'] },
        status: {
          phase: 'Terminating',
          conditions: [
            { type: 'NamespaceDeletionContentFailure', status: 'True', message: 'failed to delete all resource types' },
            { type: 'NamespaceFinalizersRemaining', status: 'False', message: 'all finalizers removed' },
          ],
        },
      },
      90_000,
    );
    assert.ok(error instanceof ClusterTimeoutError);
    assert.equal(error.retryable, true);
    assert.equal(
      error.message,
      'Namespace tenant-acme-staging was still Terminating after 90 s (waiting on finalizer kubernetes; ' +
        'NamespaceDeletionContentFailure: failed to delete all resource types). ' +
        'Check that kube-controller-manager runs (it finalizes namespaces) and that no finalizer is stuck.',
    );
  });

  it('tells an abort (ours) from a failure', () => {
    assert.equal(isAbort(Object.assign(new Error('aborted'), { name: 'AbortError' })), true);
    assert.equal(isAbort(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), true);
    assert.equal(isAbort(new Error('fetch failed')), false);
  });
});

// From what the API server or the network answered to the port's errors (port.ts), with
// messages that say what to fix: 401 → ClusterAuthenticationError, 403 →
// ClusterPermissionError naming the verb, resource and scope, refused/DNS/reset/TLS →
// ClusterUnreachableError, a namespace that does not finalize → ClusterTimeoutError,
// anything else → ClusterRequestError (409, 429 and 5xx retryable). Pure functions.
import * as k8s from '@kubernetes/client-node';
import {
  ClusterAuthenticationError,
  ClusterError,
  ClusterPermissionError,
  ClusterRequestError,
  ClusterTimeoutError,
  ClusterUnreachableError,
} from '../port.ts';

/** What a request was trying to do, so a 403 can name the permission. */
export interface Action {
  verb: string;
  resource: string;
  group: string;
  namespace: string | null;
}

/** Who was asking whom: the API server's address and the kubeconfig's user, for the messages. */
export interface ClusterIdentity {
  target: string;
  user: string;
}

/** Turns an API or network failure into a port error whose message says what to fix. */
export function translateError(error: unknown, action: Action, identity: ClusterIdentity): Error {
  if (error instanceof ClusterError) return error;
  const status = statusCodeOf(error);
  if (status !== null) {
    const message = serverMessage(error);
    if (status === 401) {
      return new ClusterAuthenticationError(
        `The Kubernetes API server at ${identity.target} rejected the credentials of user "${identity.user}" (401 Unauthorized): ` +
          'the token or client certificate in the kubeconfig is invalid or expired; replace it.',
      );
    }
    if (status === 403 && /being terminated/.test(message)) {
      return new ClusterRequestError(
        `Namespace ${action.namespace ?? ''} is being deleted, so nothing can be created in it; retry once it is gone.`,
        403,
        true,
      );
    }
    if (status === 403) return permissionError(action, message, identity.user);
    const retryable = status === 409 || status === 429 || status >= 500;
    return new ClusterRequestError(
      `Kubernetes refused to ${action.verb} ${action.resource}${action.namespace ? ` in namespace ${action.namespace}` : ''} ` +
        `(${status})${message ? `: ${message}` : ''}`,
      status,
      retryable,
    );
  }
  const code = networkCode(error);
  if (code !== null) {
    const tls = /CERT|SELF_SIGNED|TLS|SSL/.test(code);
    return new ClusterUnreachableError(
      tls
        ? `The TLS certificate of the Kubernetes API server at ${identity.target} is not trusted (${code}): ` +
            'check certificate-authority-data in the kubeconfig.'
        : `Cannot reach the Kubernetes API server at ${identity.target} (${code}): check the server address in the kubeconfig ` +
            'and that the API server is running.',
      !tls,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

function permissionError(action: Action, message: string, kubeconfigUser: string): ClusterPermissionError {
  // The API server's message is authoritative ("cannot create resource "namespaces" in API
  // group "" at the cluster scope"): apply may need create where the request said patch.
  const parsed = /cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/.exec(message);
  const verb = parsed?.[1] ?? action.verb;
  const resource = parsed?.[2] ?? action.resource;
  const group = parsed ? (parsed[3] as string) : action.group;
  // Namespaces are cluster-scoped, though the server reports one "in the namespace" of its own name.
  const namespace = resource === 'namespaces' ? null : parsed ? (parsed[4] ?? null) : action.namespace;
  const where = namespace ? `in namespace ${namespace}` : 'cluster-wide';
  // The identity the server saw (a service account, say) beats the kubeconfig entry's name.
  const user = /User "([^"]+)"/.exec(message)?.[1] ?? kubeconfigUser;
  // Tenant namespaces come and go, so a per-namespace Role is rarely the fix.
  const apply = verb === 'patch' || verb === 'create' ? ' (server-side apply needs both "create" and "patch")' : '';
  return new ClusterPermissionError(
    `The kubeconfig's user "${user}" may not ${verb} ${resource}${group ? ` (API group ${group})` : ''} ${where}: ` +
      `grant it "${verb}" on "${resource}"${apply} with a ClusterRole and a ClusterRoleBinding ` +
      `(docs/operations.md lists everything Atrium needs).${message ? ` The API server said: ${message}` : ''}`,
    { verb, resource, namespace },
  );
}

/** A namespace still there at the deadline: names the finalizers and conditions holding it. */
export function namespaceFinalizeTimeout(namespace: k8s.V1Namespace, timeoutMs: number): ClusterTimeoutError {
  const name = namespace.metadata?.name as string;
  const waitingOn = [
    ...(namespace.spec?.finalizers ?? []).map((finalizer) => `finalizer ${finalizer}`),
    ...(namespace.status?.conditions ?? [])
      .filter((condition) => condition.status === 'True' && condition.message)
      .map((condition) => `${condition.type}: ${condition.message}`),
  ];
  return new ClusterTimeoutError(
    `Namespace ${name} was still ${namespace.status?.phase ?? 'present'} after ${Math.round(timeoutMs / 1000)} s` +
      (waitingOn.length > 0 ? ` (waiting on ${waitingOn.join('; ')})` : '') +
      '. Check that kube-controller-manager runs (it finalizes namespaces) and that no finalizer is stuck.',
  );
}

/** An aborted request or watch (ours, on purpose), not a failure. */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function statusCodeOf(error: unknown): number | null {
  if (error instanceof k8s.ApiException) return error.code;
  // Watch failures carry the HTTP status as statusCode.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' ? statusCode : null;
}

/** The `message` of the Status object the API server answered with (never request data). */
function serverMessage(error: unknown): string {
  if (!(error instanceof k8s.ApiException)) return '';
  const body: unknown = error.body;
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | null;
    return typeof parsed?.message === 'string' ? parsed.message : '';
  } catch {
    return '';
  }
}

/** ECONNREFUSED & co. from undici's `fetch failed` (the code sits on a cause). */
function networkCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      /^(E[A-Z_]+|UND_ERR_[A-Z_]+|[A-Z_]*CERT[A-Z_]*|DEPTH_ZERO_SELF_SIGNED_CERT)$/.test(code)
    )
      return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

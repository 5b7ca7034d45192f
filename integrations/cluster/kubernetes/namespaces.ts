// Namespace reads and the namespace's end: delete it, then list and watch it until the API
// server no longer has it (the controller-manager finalizes it) or the time is up.
import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import { ClusterRequestError } from '../port.ts';
import type { KubernetesApi } from './api.ts';
import type { Action } from './errors.ts';
import { isAbort, namespaceFinalizeTimeout } from './errors.ts';

const WATCH_RETRY_PAUSE_MS = 250;

/** The namespaces that match a label selector, sorted by name. */
export async function listNamespaces(api: KubernetesApi, labelSelector: string): Promise<k8s.V1Namespace[]> {
  const list = await api.call({ verb: 'list', resource: 'namespaces', group: '', namespace: null }, () =>
    api.objects.list<k8s.V1Namespace>(
      'v1',
      'Namespace',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    ),
  );
  return [...list.items].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** The namespace's phase, or `found: false` with the server's 404 when it is gone. */
export async function readNamespaceStatus(
  api: KubernetesApi,
  name: string,
): Promise<{ found: boolean; httpStatus: number; phase: string | null }> {
  const action: Action = { verb: 'get', resource: 'namespaces', group: '', namespace: null };
  try {
    const namespace = await api.call(action, () =>
      api.objects.read<k8s.V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    );
    return { found: true, httpStatus: 200, phase: namespace.status?.phase ?? null };
  } catch (error) {
    if (error instanceof ClusterRequestError && error.status === 404)
      return { found: false, httpStatus: 404, phase: null };
    throw error;
  }
}

/** Deletes the namespace (a 404 is fine) and waits until it is gone; `existed` says whether the delete found it. */
export async function deleteNamespaceAndWait(
  api: KubernetesApi,
  name: string,
  timeoutMs: number,
): Promise<{ existed: boolean }> {
  const deadline = Date.now() + timeoutMs;
  const action: Action = { verb: 'delete', resource: 'namespaces', group: '', namespace: null };
  let existed = true;
  try {
    await api.call(action, () => api.objects.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  } catch (error) {
    if (!(error instanceof ClusterRequestError && error.status === 404)) throw error;
    existed = false;
  }
  // A 404 on delete can still mean "gone a moment ago"; waiting is a cheap list then.
  await waitUntilGone(api, name, deadline, timeoutMs);
  return { existed };
}

/**
 * Lists the namespace by name and, while it is there, watches it from that list's
 * resourceVersion until a DELETED event. A watch the server or client closes early
 * (they time out after a while) starts over with a fresh list.
 */
async function waitUntilGone(api: KubernetesApi, name: string, deadline: number, timeoutMs: number): Promise<void> {
  const fieldSelector = `metadata.name=${name}`;
  const listAction: Action = { verb: 'list', resource: 'namespaces', group: '', namespace: null };
  for (;;) {
    const list = await api.call(listAction, () =>
      api.objects.list<k8s.V1Namespace>('v1', 'Namespace', undefined, undefined, undefined, undefined, fieldSelector),
    );
    const current = list.items[0];
    if (!current) return;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw namespaceFinalizeTimeout(current, timeoutMs);
    const deleted = await watchForDeletion(api, name, list.metadata?.resourceVersion, remaining);
    if (deleted) return;
    // A watch that ends at once (server restarting) must not turn this into a busy loop.
    await sleep(Math.min(WATCH_RETRY_PAUSE_MS, Math.max(0, deadline - Date.now())));
  }
}

/** Resolves true on the namespace's DELETED event, false when the watch ends or the time is up. */
function watchForDeletion(
  api: KubernetesApi,
  name: string,
  resourceVersion: string | undefined,
  remainingMs: number,
): Promise<boolean> {
  const action: Action = { verb: 'watch', resource: 'namespaces', group: '', namespace: null };
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    let controller: AbortController | undefined;
    const finish = (outcome: boolean | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish(false), remainingMs);
    api.watcher
      .watch(
        '/api/v1/namespaces',
        { fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds: Math.ceil(remainingMs / 1000) },
        (type) => {
          if (type === 'DELETED') finish(true);
          // ERROR is usually "resourceVersion too old": end this watch and list again.
          else if (type === 'ERROR') finish(false);
        },
        (error: unknown) => {
          if (!error || isAbort(error)) finish(false);
          else finish(api.translate(error, action));
        },
      )
      .then((abort) => {
        controller = abort;
        if (settled) abort.abort();
      })
      .catch((error: unknown) => finish(api.translate(error, action)));
  });
}

// Scaling a tenant's Deployments and StatefulSets to zero and back. Scale-down records the
// replica count in an annotation in the same merge patch that sets 0, so a repeated
// scale-down keeps the first count and restore knows exactly what to bring back.
import type * as k8s from '@kubernetes/client-node';
import type { ScaledWorkload } from '../port.ts';
import { ClusterRequestError } from '../port.ts';
import type { KubernetesApi } from './api.ts';

/** On a suspended Deployment/StatefulSet: the replica count to restore. */
export const SUSPENDED_REPLICAS_ANNOTATION = 'atrium.dev/suspended-replicas';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
export type Workload = k8s.V1Deployment | k8s.V1StatefulSet;
export interface WorkloadChange {
  annotations: Record<string, string | null>;
  replicas: number;
}
/** What to do with a workload as read: the patch to make (none: leave it) and what to report. */
export interface WorkloadDecision<R> {
  change: WorkloadChange | null;
  result: R;
}
const WORKLOAD_UPDATE_ATTEMPTS = 5;

/** The replica count Atrium recorded when it suspended the workload, or null. */
export function suspendedFrom(workload: k8s.KubernetesObject): number | null {
  const value = workload.metadata?.annotations?.[SUSPENDED_REPLICAS_ANNOTATION];
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** Scale-down of one workload: record the count and set 0; the result is the count to restore. */
export function decideScaleDown(current: Workload): WorkloadDecision<number> {
  const recorded = suspendedFrom(current);
  // Already suspended (a retry): keep the first recorded count, it is the real one.
  const previous = recorded ?? current.spec?.replicas ?? 1;
  const change =
    recorded === null || (current.spec?.replicas ?? 1) !== 0
      ? { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: String(previous) }, replicas: 0 }
      : null;
  return { change, result: previous };
}

/** Restore of one workload: the recorded count back and the annotation gone; null when there is none. */
export function decideRestore(current: Workload): WorkloadDecision<number | null> {
  const count = suspendedFrom(current);
  // Not suspended by Atrium (created later, or already restored by an earlier attempt).
  if (count === null) return { change: null, result: null };
  return {
    change: { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: null }, replicas: count },
    result: count,
  };
}

/** Scales every Deployment and StatefulSet in the namespaces to zero, in order. */
export async function scaleDownWorkloads(api: KubernetesApi, namespaces: string[]): Promise<ScaledWorkload[]> {
  const scaled: ScaledWorkload[] = [];
  for (const namespace of namespaces) {
    for (const kind of WORKLOAD_KINDS) {
      for (const workload of await listWorkloads(api, namespace, kind)) {
        const previousReplicas = await updateWorkload(api, kind, workload, decideScaleDown);
        scaled.push({ kind, namespace, name: workload.metadata?.name as string, previousReplicas, replicas: 0 });
      }
    }
  }
  return scaled;
}

/** Brings back the recorded counts; workloads Atrium did not suspend are left alone. */
export async function restoreWorkloads(api: KubernetesApi, namespaces: string[]): Promise<ScaledWorkload[]> {
  const restored: ScaledWorkload[] = [];
  for (const namespace of namespaces) {
    for (const kind of WORKLOAD_KINDS) {
      for (const workload of await listWorkloads(api, namespace, kind)) {
        const recorded = await updateWorkload(api, kind, workload, decideRestore);
        if (recorded === null) continue;
        const name = workload.metadata?.name as string;
        restored.push({ kind, namespace, name, previousReplicas: recorded, replicas: recorded });
      }
    }
  }
  return restored;
}

export async function listWorkloads(api: KubernetesApi, namespace: string, kind: WorkloadKind): Promise<Workload[]> {
  const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
  const list = await api.call({ verb: 'list', resource, group: 'apps', namespace }, () =>
    api.objects.list<Workload>('apps/v1', kind, namespace),
  );
  return list.items;
}

/**
 * Decides a change from the workload as read and applies it in one merge patch (replica
 * count and annotation together) that carries the read resourceVersion. Controllers update
 * workloads all the time, so a 409 (changed since the read) means: read again and decide
 * again, a few times, rather than record a stale count.
 */
async function updateWorkload<R>(
  api: KubernetesApi,
  kind: WorkloadKind,
  workload: Workload,
  decide: (current: Workload) => WorkloadDecision<R>,
): Promise<R> {
  let current = workload;
  for (let attempt = 1; ; attempt += 1) {
    const { change, result } = decide(current);
    if (!change) return result;
    try {
      await patchWorkload(api, kind, current, change);
      return result;
    } catch (error) {
      if (!(error instanceof ClusterRequestError && error.status === 409) || attempt >= WORKLOAD_UPDATE_ATTEMPTS)
        throw error;
    }
    current = await readWorkload(api, kind, current);
  }
}

async function readWorkload(api: KubernetesApi, kind: WorkloadKind, workload: Workload): Promise<Workload> {
  const namespace = workload.metadata?.namespace as string;
  const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
  return api.call({ verb: 'get', resource, group: 'apps', namespace }, () =>
    api.objects.read<Workload>({
      apiVersion: 'apps/v1',
      kind,
      metadata: { name: workload.metadata?.name as string, namespace },
    }),
  );
}

async function patchWorkload(
  api: KubernetesApi,
  kind: WorkloadKind,
  workload: Workload,
  change: WorkloadChange,
): Promise<void> {
  const namespace = workload.metadata?.namespace as string;
  const patch = {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name: workload.metadata?.name,
      namespace,
      resourceVersion: workload.metadata?.resourceVersion,
      annotations: change.annotations,
    },
    spec: { replicas: change.replicas },
  } as k8s.KubernetesObject;
  const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
  await api.mergePatch(patch, { verb: 'patch', resource, group: 'apps', namespace });
}

// A tenant's application as a Deployment, one release at a time: the manifest a release
// becomes (pure), what a Deployment's status says about its rollout (pure), and the three
// requests behind the port's applyDeployment, readRollout and rollbackDeployment.
//
// A release is applied with server-side apply under Atrium's field manager, so applying
// it again changes nothing (same generation) and applying another release replaces every
// field Atrium set (an env var left out is removed). Rolling back is applying the previous
// release's spec: its pod template is byte for byte the one that ReplicaSet was made from,
// so the Deployment controller scales that ReplicaSet back up instead of making a new one.
import type * as k8s from '@kubernetes/client-node';
import type {
  ClusterObjectRef,
  ReleaseDeployment,
  RolloutCondition,
  RolloutStatus,
  TenantNamespaceRef,
} from '../port.ts';
import { ClusterRequestError, tenantNamespaceName } from '../port.ts';
import type { KubernetesApi } from './api.ts';
import type { Action } from './errors.ts';
import { tenantLabels } from './manifests.ts';

export const DEPLOYMENT_LABELS = {
  /** Selects a Deployment's pods; the same across its releases (a selector cannot change). */
  deployment: 'atrium.dev/deployment',
  /** The release a Deployment or pod was made from. */
  release: 'atrium.dev/release',
} as const;

export const DEPLOYMENT_ANNOTATIONS = {
  /** The release id, also where a label value could not hold it. */
  releaseId: 'atrium.dev/release-id',
  /** On a Deployment that rollbackDeployment applied: the release it replaced. */
  rolledBackFrom: 'atrium.dev/rolled-back-from',
} as const;

/** Old ReplicaSets kept for `kubectl rollout undo` and for reading history. */
const REVISION_HISTORY_LIMIT = 5;

/**
 * The Deployment for one release. Caller labels and annotations come first, so Atrium's
 * own (tenant, release, selector) always win. Rolling updates add one pod at a time and
 * never take one away before its replacement is available (maxUnavailable 0): a release
 * that never becomes ready leaves the previous one serving.
 */
export function deploymentManifest(
  ref: TenantNamespaceRef,
  release: ReleaseDeployment,
  extraAnnotations: Record<string, string> = {},
): k8s.V1Deployment {
  const namespace = tenantNamespaceName(ref.slug, ref.environment);
  const selector = { [DEPLOYMENT_LABELS.deployment]: release.name };
  const labels = {
    ...release.labels,
    ...tenantLabels(ref),
    ...selector,
    [DEPLOYMENT_LABELS.release]: release.releaseId,
  };
  const annotations = { ...release.annotations, [DEPLOYMENT_ANNOTATIONS.releaseId]: release.releaseId };
  const env = Object.keys(release.env)
    .sort()
    .map((name) => ({ name, value: release.env[name] as string }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: release.name, namespace, labels, annotations: { ...annotations, ...extraAnnotations } },
    spec: {
      replicas: release.replicas,
      selector: { matchLabels: selector },
      progressDeadlineSeconds: release.progressDeadlineSeconds,
      revisionHistoryLimit: REVISION_HISTORY_LIMIT,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels, annotations },
        spec: {
          ...(release.serviceAccountName ? { serviceAccountName: release.serviceAccountName } : {}),
          containers: [
            {
              name: release.name,
              image: release.image,
              env,
              resources: {
                requests: { ...release.resources.requests },
                limits: { ...release.resources.limits },
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * What a Deployment's status says about its rollout, the way `kubectl rollout status`
 * reads it: failed once the controller reports ProgressDeadlineExceeded; available once
 * the controller has seen the latest spec, every replica runs the new template, no old
 * replica is left and all are available; progressing otherwise.
 */
export function rolloutStatusOf(deployment: k8s.V1Deployment): RolloutStatus {
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  const observedGeneration = status.observedGeneration ?? 0;
  const desired = deployment.spec?.replicas ?? 1;
  const replicas = status.replicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');

  let condition: RolloutCondition;
  if (observedGeneration < generation) {
    condition = {
      state: 'progressing',
      reason: 'NotObservedYet',
      message: `The Deployment controller has not yet seen generation ${generation} (it has seen ${observedGeneration}).`,
    };
  } else if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    condition = {
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message:
        `No progress for ${deployment.spec?.progressDeadlineSeconds ?? 600} s: ${available} of ${desired} replicas available, ` +
        `${updated} updated. ${progressing.message ?? ''}`.trim(),
    };
  } else if (updated < desired) {
    condition = {
      state: 'progressing',
      reason: 'UpdatingReplicas',
      message: `${updated} of ${desired} replicas updated.`,
    };
  } else if (replicas > updated) {
    condition = {
      state: 'progressing',
      reason: 'OldReplicasPendingTermination',
      message: `${replicas - updated} old replicas pending termination.`,
    };
  } else if (available < updated) {
    condition = {
      state: 'progressing',
      reason: 'WaitingForAvailability',
      message: `${available} of ${updated} updated replicas available.`,
    };
  } else {
    condition = { state: 'available', reason: 'Available', message: `${available} of ${desired} replicas available.` };
  }

  const template = deployment.spec?.template?.metadata;
  return {
    name: deployment.metadata?.name ?? '',
    releaseId:
      template?.annotations?.[DEPLOYMENT_ANNOTATIONS.releaseId] ??
      template?.labels?.[DEPLOYMENT_LABELS.release] ??
      null,
    generation,
    observedGeneration,
    replicas: desired,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    condition,
  };
}

const deploymentAction = (namespace: string, verb: string): Action => ({
  verb,
  resource: 'deployments',
  group: 'apps',
  namespace,
});

/** Server-side applies the release's Deployment; returns it as stored. */
export async function applyReleaseDeployment(
  api: KubernetesApi,
  ref: TenantNamespaceRef,
  release: ReleaseDeployment,
  extraAnnotations: Record<string, string> = {},
): Promise<k8s.V1Deployment> {
  return api.apply(deploymentManifest(ref, release, extraAnnotations), 'deployments', 'apps');
}

/** The Deployment, or null when there is none. */
export async function readDeployment(
  api: KubernetesApi,
  namespace: string,
  name: string,
): Promise<k8s.V1Deployment | null> {
  try {
    return await api.call(deploymentAction(namespace, 'get'), () =>
      api.objects.read<k8s.V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace } }),
    );
  } catch (error) {
    if (error instanceof ClusterRequestError && error.status === 404) return null;
    throw error;
  }
}

export function deploymentRef(deployment: k8s.V1Deployment): ClusterObjectRef & { generation: number } {
  return {
    kind: 'Deployment',
    namespace: deployment.metadata?.namespace ?? null,
    name: deployment.metadata?.name ?? '',
    uid: deployment.metadata?.uid ?? '',
    generation: deployment.metadata?.generation ?? 0,
  };
}

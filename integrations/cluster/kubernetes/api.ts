// The one client every Kubernetes call goes through: each request is made with the
// action it stands for, so a failure comes back as a port error that names it (errors.ts).
import * as k8s from '@kubernetes/client-node';
import type { Action, ClusterIdentity } from './errors.ts';
import { translateError } from './errors.ts';

const FIELD_MANAGER = 'atrium';

export class KubernetesApi implements ClusterIdentity {
  readonly target: string;
  readonly user: string;
  readonly objects: k8s.KubernetesObjectApi;
  readonly watcher: k8s.Watch;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.target = kubeConfig.getCurrentCluster()?.server ?? '(no server)';
    this.user = kubeConfig.getCurrentUser()?.name ?? '(unnamed user)';
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    this.watcher = new k8s.Watch(kubeConfig);
  }

  async call<T>(action: Action, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.translate(error, action);
    }
  }

  /** Turns an API or network failure into a port error whose message says what to fix. */
  translate(error: unknown, action: Action): Error {
    return translateError(error, action, this);
  }

  /** Server-side apply, forcing ownership of the fields Atrium sets (it owns these objects). */
  async apply<T extends k8s.KubernetesObject>(object: T, resource: string, group = ''): Promise<T> {
    const action: Action = { verb: 'patch', resource, group, namespace: object.metadata?.namespace ?? null };
    return this.call(action, () =>
      this.objects.patch(object, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply),
    );
  }

  /** A JSON merge patch under Atrium's field manager (no forced ownership). */
  async mergePatch(object: k8s.KubernetesObject, action: Action): Promise<void> {
    await this.call(action, () =>
      this.objects.patch(object, undefined, undefined, FIELD_MANAGER, undefined, k8s.PatchStrategy.MergePatch),
    );
  }
}

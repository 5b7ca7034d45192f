// Builds the cluster adapter the validated configuration asks for (once, at boot).
import type { Logger } from 'winston';
import type { ClusterConfig } from '../../config/cluster.ts';
import { KubernetesCluster, loadKubeConfig } from './kubernetes.ts';
import { NoCluster } from './none.ts';
import type { Cluster } from './port.ts';

export function createCluster(config: ClusterConfig, logger?: Logger): Cluster {
  if (config.adapter.kind === 'none') return new NoCluster();
  return new KubernetesCluster(loadKubeConfig(config.adapter.source), {
    ingressNamespaceLabel: config.ingressNamespaceLabel,
    ...(logger ? { logger } : {}),
  });
}

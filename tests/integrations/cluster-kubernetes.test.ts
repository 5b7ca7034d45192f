// @needs-servers: kube
// The cluster port's contract against the real local Kubernetes control plane
// (kube-apiserver + etcd + kube-controller-manager from scripts/servers.sh).
import { registerClusterContract } from './cluster.contract.ts';
import { kubeServer } from '../support/servers.ts';

const { kubeconfig, limitedKubeconfig } = kubeServer();

registerClusterContract('kubernetes', {
  config: {
    adapter: { kind: 'kubernetes', source: { kubeconfigPath: kubeconfig } },
    environments: ['production', 'staging'],
    ingressNamespaceLabel: { key: 'kubernetes.io/metadata.name', value: 'ingress-nginx' },
  },
  limitedKubeconfig,
});

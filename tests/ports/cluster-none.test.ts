// The cluster port's contract for the none adapter (no cluster configured): every step
// is reported as skipped, the same way every time, and nothing is thrown.
import { registerClusterContract } from './cluster.contract.ts';

registerClusterContract('none', {
  config: {
    adapter: { kind: 'none' },
    environments: ['production', 'staging'],
    ingressNamespaceLabel: { key: 'kubernetes.io/metadata.name', value: 'ingress-nginx' },
  },
});

// Which cluster the tenant lifecycle manages, read once at boot by the processes that
// need it (worker/config.ts). KUBECONFIG or KUBERNETES_IN_CLUSTER=true selects
// Kubernetes; with neither, cluster steps are reported as skipped.
import { z } from 'zod';
import { ConfigError } from './env.ts';

/** A Kubernetes label key: optional DNS-subdomain prefix, then a name of at most 63 characters. */
const LABEL_KEY = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** Short enough that `tenant-<40-char slug>-<environment>` stays a 63-character DNS label. */
const ENVIRONMENT = /^[a-z](?:[a-z0-9-]{0,13}[a-z0-9])?$/;

export const clusterSettings = {
  /** Path to one kubeconfig file (not a colon-separated list). */
  KUBECONFIG: z.string().optional(),
  KUBERNETES_IN_CLUSTER: z.enum(['true', 'false'], 'must be true or false').default('false'),
  CLUSTER_ENVIRONMENTS: z
    .string()
    .default('production')
    .transform((value) => value.split(',').map((item) => item.trim()))
    .refine(
      (items) => items.every((item) => ENVIRONMENT.test(item)),
      'must be a comma list of environment names (lowercase letters, digits, dashes; at most 15 characters each)',
    )
    .refine((items) => new Set(items).size === items.length, 'names an environment twice'),
  CLUSTER_INGRESS_NAMESPACE_LABEL: z
    .string()
    .default('kubernetes.io/metadata.name=ingress-nginx')
    .refine((value) => {
      const [key, labelValue, ...rest] = value.split('=');
      return rest.length === 0 && LABEL_KEY.test(key ?? '') && labelValue !== undefined && LABEL_VALUE.test(labelValue);
    }, 'must be one label as key=value, e.g. kubernetes.io/metadata.name=ingress-nginx')
    .transform((value) => {
      const [key, labelValue] = value.split('=') as [string, string];
      return { key, value: labelValue };
    }),
};

export interface ClusterConfig {
  adapter: { kind: 'kubernetes'; source: { kubeconfigPath: string } | { inCluster: true } } | { kind: 'none' };
  /** One namespace per tenant and environment. */
  environments: string[];
  /** Namespaces carrying this label (the ingress controller's) may reach tenant pods. */
  ingressNamespaceLabel: { key: string; value: string };
}

type ClusterSettings = z.output<z.ZodObject<typeof clusterSettings>>;

/** Builds the cluster config from a parsed environment; both sources at once is a ConfigError. */
export function clusterConfigFrom(parsed: ClusterSettings): ClusterConfig {
  if (parsed.KUBECONFIG !== undefined && parsed.KUBERNETES_IN_CLUSTER === 'true')
    throw new ConfigError(['KUBERNETES_IN_CLUSTER: set either KUBECONFIG or KUBERNETES_IN_CLUSTER=true, not both']);
  const adapter: ClusterConfig['adapter'] =
    parsed.KUBECONFIG !== undefined
      ? { kind: 'kubernetes', source: { kubeconfigPath: parsed.KUBECONFIG } }
      : parsed.KUBERNETES_IN_CLUSTER === 'true'
        ? { kind: 'kubernetes', source: { inCluster: true } }
        : { kind: 'none' };
  return {
    adapter,
    environments: parsed.CLUSTER_ENVIRONMENTS,
    ingressNamespaceLabel: parsed.CLUSTER_INGRESS_NAMESPACE_LABEL,
  };
}

// The cluster port: what Atrium asks of a container platform for each tenant (namespaces
// per environment, quotas, network isolation, a workload identity, secrets, a release's
// Deployment and its rollout, scaling to zero, teardown). Adapters: kubernetes.ts (a real API server) and none.ts (no cluster
// configured: every step reports itself as skipped). No SDK types cross this boundary.

/** Who a namespace belongs to. The slug names it; the id is recorded for audits. */
export interface TenantNamespaceRef {
  tenantId: string;
  slug: string;
  environment: string;
}

/** Per-namespace limits from the tenant's plan. Quantities use Kubernetes notation ("2", "500m", "4Gi"). */
export interface ClusterPlanLimits {
  quota: {
    requestsCpu: string;
    requestsMemory: string;
    limitsCpu: string;
    limitsMemory: string;
    requestsStorage: string;
    pods: number;
    services: number;
    persistentVolumeClaims: number;
  };
  /** Applied to containers that declare nothing, and the largest a container may ask for. */
  container: {
    defaultRequest: { cpu: string; memory: string };
    defaultLimit: { cpu: string; memory: string };
    max: { cpu: string; memory: string };
  };
}

/** An object the adapter created or found; the same uid after a retry means it was not recreated. */
export interface ClusterObjectRef {
  kind: string;
  namespace: string | null;
  name: string;
  uid: string;
}

export interface ScaledWorkload {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  /** Replicas before the tenant was suspended (what restore brings back). */
  previousReplicas: number;
  /** Replicas in the spec after this call. */
  replicas: number;
}

export interface NamespaceDescription {
  name: string;
  environment: string | null;
  /** `Active` or `Terminating`. */
  phase: string;
  objects: { kind: string; name: string }[];
  workloads: { kind: 'Deployment' | 'StatefulSet'; name: string; replicas: number; suspendedFrom: number | null }[];
}

/**
 * One release of a tenant's application in one environment: everything its Deployment is
 * made from. Applying the same value twice changes nothing; applying another release's
 * value replaces what the previous one set.
 */
export interface ReleaseDeployment {
  /** The Deployment's name (a DNS label); the same for every release of the application. */
  name: string;
  /** The release this is; recorded on the Deployment and its pods (a label value: at most 63 characters). */
  releaseId: string;
  /** The container image, e.g. `registry.example.com/acme/web@sha256:…`. */
  image: string;
  replicas: number;
  /** Plain environment variables of the one container (secrets belong in ensureSecret). */
  env: Record<string, string>;
  /** Kubernetes quantities; the namespace's quota counts them. */
  resources: {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
  };
  /** Seconds without progress after which readRollout reports the rollout failed. */
  progressDeadlineSeconds: number;
  /** Extra labels and annotations on the Deployment and its pods; Atrium's own keys win a clash. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The ServiceAccount the pods run as (ensureWorkloadIdentity's name); the namespace's default if absent. */
  serviceAccountName?: string;
}

/** The Deployment as stored after an apply: `generation` changes only when the spec did. */
export interface AppliedDeployment extends ClusterObjectRef {
  generation: number;
  releaseId: string;
}

/**
 * Where a rollout stands. `available`: the latest spec runs on every replica, all
 * available, no old replica left. `failed`: no progress within progressDeadlineSeconds
 * (reason `ProgressDeadlineExceeded`). `progressing`: anything in between; `reason` says
 * what it waits for.
 */
export interface RolloutCondition {
  state: 'progressing' | 'available' | 'failed';
  reason: string;
  message: string;
}

export interface RolloutStatus {
  name: string;
  /** The release the Deployment's pod template is from (what is being rolled out). */
  releaseId: string | null;
  generation: number;
  /** The generation the Deployment controller has acted on; behind `generation` just after an apply. */
  observedGeneration: number;
  /** Desired replicas. */
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  condition: RolloutCondition;
}

/** A step either ran against the cluster or was skipped because there is none. */
export type ClusterOutcome<T> = { status: 'done'; result: T } | { status: 'skipped'; reason: string };

export interface Cluster {
  /** `kubernetes` or `none`; for logs and the admin page. */
  readonly kind: string;
  /** Where it points (API server URL), or why there is nothing; never credentials. */
  readonly target: string;

  /** Creates the namespace with Atrium's labels, or brings existing labels back in line. */
  ensureNamespace(ref: TenantNamespaceRef): Promise<ClusterOutcome<ClusterObjectRef>>;
  /** ResourceQuota + LimitRange from the plan's limits. */
  ensureResourceLimits(ref: TenantNamespaceRef, limits: ClusterPlanLimits): Promise<ClusterOutcome<ClusterObjectRef[]>>;
  /** Default deny (ingress + egress), allow same namespace, allow the ingress controller, allow DNS. */
  ensureNetworkPolicies(ref: TenantNamespaceRef): Promise<ClusterOutcome<ClusterObjectRef[]>>;
  /** The workload identity: ServiceAccount + a namespaced Role (read config and the named secrets) + RoleBinding. */
  ensureWorkloadIdentity(
    ref: TenantNamespaceRef,
    identity: { name: string; readableSecrets: string[] },
  ): Promise<ClusterOutcome<ClusterObjectRef[]>>;
  /** An Opaque Secret holding exactly `data` (values are never logged or returned). */
  ensureSecret(
    ref: TenantNamespaceRef,
    secret: { name: string; data: Record<string, string> },
  ): Promise<ClusterOutcome<ClusterObjectRef>>;
  /**
   * What the named Secret holds now, decoded (`null` when there is none). Only for checking a
   * consumer (a rotation connects with it): the caller never logs or returns the values.
   */
  readSecretData(ref: TenantNamespaceRef, name: string): Promise<ClusterOutcome<Record<string, string> | null>>;
  /**
   * Creates or replaces the release's Deployment in the environment's namespace and
   * returns at once; readRollout tells how the rollout goes.
   */
  applyDeployment(ref: TenantNamespaceRef, release: ReleaseDeployment): Promise<ClusterOutcome<AppliedDeployment>>;
  /** The rollout of the named Deployment; `null` when there is no such Deployment. */
  readRollout(ref: TenantNamespaceRef, name: string): Promise<ClusterOutcome<RolloutStatus | null>>;
  /**
   * Puts the previous release back: applies its spec (so its ReplicaSet scales up again and
   * the failed one's pods are deleted), noting on the Deployment which release it replaced.
   */
  rollbackDeployment(
    ref: TenantNamespaceRef,
    previous: ReleaseDeployment,
  ): Promise<ClusterOutcome<AppliedDeployment & { rolledBackFrom: string | null }>>;
  /** Scales every Deployment/StatefulSet of the tenant to zero, remembering the replica counts. */
  scaleDownTenant(slug: string): Promise<ClusterOutcome<ScaledWorkload[]>>;
  /** Brings back exactly the replica counts scaleDownTenant recorded; leaves other workloads alone. */
  restoreTenantScale(slug: string): Promise<ClusterOutcome<ScaledWorkload[]>>;
  /** The tenant's namespaces (found by label), sorted by name. */
  listTenantNamespaces(slug: string): Promise<ClusterOutcome<string[]>>;
  /** Deletes the namespace and waits until the API server no longer has it. */
  deleteNamespace(name: string, options: { timeoutMs: number }): Promise<ClusterOutcome<{ existed: boolean }>>;
  /**
   * Reads the namespace from the API server: `found: false` with the server's 404 when it
   * is gone (a teardown report's evidence), else its phase.
   */
  readNamespaceStatus(
    name: string,
  ): Promise<ClusterOutcome<{ found: boolean; httpStatus: number; phase: string | null }>>;
  /** What exists for the tenant, for a teardown report or the admin page. Secret values are not read. */
  describeTenant(slug: string): Promise<ClusterOutcome<NamespaceDescription[]>>;
}

/** Base of every error the port throws; `retryable` tells an activity whether trying again can help. */
export class ClusterError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'ClusterError';
    this.retryable = retryable;
  }
}

/** 401: the API server does not accept the configured credentials. */
export class ClusterAuthenticationError extends ClusterError {
  constructor(message: string) {
    super(message, false);
    this.name = 'ClusterAuthenticationError';
  }
}

/** 403: the credentials are valid but lack a permission; names the verb and resource. */
export class ClusterPermissionError extends ClusterError {
  readonly verb: string;
  readonly resource: string;
  readonly namespace: string | null;
  constructor(message: string, permission: { verb: string; resource: string; namespace: string | null }) {
    super(message, false);
    this.name = 'ClusterPermissionError';
    this.verb = permission.verb;
    this.resource = permission.resource;
    this.namespace = permission.namespace;
  }
}

/** The API server could not be reached (refused, DNS, reset: transient) or its TLS certificate is not trusted (not). */
export class ClusterUnreachableError extends ClusterError {
  constructor(message: string, retryable = true) {
    super(message, retryable);
    this.name = 'ClusterUnreachableError';
  }
}

/** A namespace did not finish deleting in time; says what is still holding it. */
export class ClusterTimeoutError extends ClusterError {
  constructor(message: string) {
    super(message, true);
    this.name = 'ClusterTimeoutError';
  }
}

/** Any other refusal (conflict, invalid object, server error); retryable when the status says so. */
export class ClusterRequestError extends ClusterError {
  readonly status: number;
  constructor(message: string, status: number, retryable: boolean) {
    super(message, retryable);
    this.name = 'ClusterRequestError';
    this.status = status;
  }
}

/**
 * The namespace of a tenant's environment: `tenant-<slug>-<environment>`. Slugs are at most
 * 40 characters and environments at most 15 (config/cluster.ts), so it fits a DNS label (63).
 */
export function tenantNamespaceName(slug: string, environment: string): string {
  return `tenant-${slug}-${environment}`;
}

export const NO_CLUSTER_REASON = 'no cluster configured (set KUBECONFIG)';

// What each plan gives a tenant: the features its license unlocks, the limits it carries,
// and the Kubernetes quota and container limits of each of its namespaces. Pure data, so
// workflows, activities and the API can all import it; change a plan here and nowhere else.
// Quantities use Kubernetes notation ("500m" CPU, "2Gi" memory).

import type { ClusterPlanLimits } from '../../integrations/cluster/port.ts';

export const PLAN_NAMES = ['free', 'team', 'enterprise'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export interface PlanDefinition {
  /** The license tier (the plan's name, spelled out for the license token). */
  tier: PlanName;
  /** Feature flags the license unlocks. */
  features: readonly string[];
  /** Counted limits the license carries (null: unlimited). */
  limits: {
    members: number | null;
    environments: number | null;
    connectors: number | null;
    apiKeys: number | null;
  };
  /** API requests per minute for the whole tenant, across every API process (api/http/tenant-rate-limit.ts). */
  requestsPerMinute: number;
  /** Per namespace (one per environment): the cluster port's quota and container limits. */
  cluster: ClusterPlanLimits;
}

export const PLANS: Readonly<Record<PlanName, PlanDefinition>> = {
  free: {
    tier: 'free',
    features: ['connectors.basic', 'secrets'],
    limits: { members: 3, environments: 1, connectors: 2, apiKeys: 2 },
    requestsPerMinute: 1_200,
    cluster: {
      quota: {
        requestsCpu: '1',
        requestsMemory: '2Gi',
        limitsCpu: '2',
        limitsMemory: '4Gi',
        requestsStorage: '5Gi',
        pods: 10,
        services: 5,
        persistentVolumeClaims: 2,
      },
      container: {
        defaultRequest: { cpu: '50m', memory: '64Mi' },
        defaultLimit: { cpu: '250m', memory: '256Mi' },
        max: { cpu: '500m', memory: '1Gi' },
      },
    },
  },
  team: {
    tier: 'team',
    features: ['connectors.basic', 'connectors.premium', 'secrets', 'secret-rotation', 'promotions', 'audit-export'],
    limits: { members: 25, environments: 3, connectors: 20, apiKeys: 20 },
    requestsPerMinute: 6_000,
    cluster: {
      quota: {
        requestsCpu: '4',
        requestsMemory: '8Gi',
        limitsCpu: '8',
        limitsMemory: '16Gi',
        requestsStorage: '50Gi',
        pods: 50,
        services: 20,
        persistentVolumeClaims: 10,
      },
      container: {
        defaultRequest: { cpu: '100m', memory: '128Mi' },
        defaultLimit: { cpu: '500m', memory: '512Mi' },
        max: { cpu: '2', memory: '4Gi' },
      },
    },
  },
  enterprise: {
    tier: 'enterprise',
    features: [
      'connectors.basic',
      'connectors.premium',
      'secrets',
      'secret-rotation',
      'promotions',
      'audit-export',
      'sso',
      'four-eyes-approvals',
    ],
    limits: { members: null, environments: null, connectors: null, apiKeys: null },
    requestsPerMinute: 30_000,
    cluster: {
      quota: {
        requestsCpu: '16',
        requestsMemory: '32Gi',
        limitsCpu: '32',
        limitsMemory: '64Gi',
        requestsStorage: '500Gi',
        pods: 200,
        services: 100,
        persistentVolumeClaims: 50,
      },
      container: {
        defaultRequest: { cpu: '250m', memory: '256Mi' },
        defaultLimit: { cpu: '1', memory: '1Gi' },
        max: { cpu: '8', memory: '16Gi' },
      },
    },
  },
};

export function planDefinition(plan: string): PlanDefinition {
  const definition = (PLANS as Record<string, PlanDefinition | undefined>)[plan];
  if (!definition) throw new Error(`Unknown plan "${plan}" (plans: ${PLAN_NAMES.join(', ')}).`);
  return definition;
}

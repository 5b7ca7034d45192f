// Builds every activity from the dependencies the worker creates once at start.
import type { DataSource } from 'typeorm';
import type { Cluster } from '../integrations/cluster/port.ts';
import { createTenantActivities } from './tenants.ts';

export interface ActivityDeps {
  dataSource: DataSource;
  /** The tenant's namespaces live here (or are skipped: no cluster), one per environment. */
  cluster: { port: Cluster; environments: readonly string[] };
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTenantActivities(deps),
  };
}

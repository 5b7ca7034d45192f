// Builds every activity from the dependencies the worker creates once at start.
import type { DataSource } from 'typeorm';
import { createTenantActivities } from './tenants.ts';

export interface ActivityDeps {
  dataSource: DataSource;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTenantActivities(deps),
  };
}

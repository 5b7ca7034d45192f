// Every route module of /api/v1: the resource modules listed here, and each workflow
// family's api/<family>/routes.ts, found by the family's name in the catalogue. The app
// mounts them most specific first, so `/tenants/:slug/members` is matched before `/tenants`.
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { approvalDelegationRoutes } from '../approvals/delegation-routes.ts';
import { approvalPolicyRoutes } from '../approvals/policy-routes.ts';
import { approvalRoutes } from '../approvals/routes.ts';
import { adminHealthRoutes } from '../health/routes.ts';
import { stuckActivitiesRoutes } from '../ops/stuck-activity-routes.ts';
import { accountsRoutes } from './accounts.ts';
import { apiKeysRoutes } from './api-keys.ts';
import { auditLogRoutes } from './audit-log.ts';
import { authRoutes } from './auth.ts';
import { invitationsRoutes } from './invitations.ts';
import { licenseRoutes } from './license.ts';
import { meRoutes } from './me.ts';
import { membersRoutes } from './members.ts';
import { operationsRoutes } from './operations.ts';
import { operatorsRoutes } from './operators.ts';
import { releasesRoutes } from './releases.ts';
import type { RouteModule } from './route-module.ts';
import { secretsRoutes } from './secrets.ts';
import { ssoConnectionRoutes } from './sso-connection.ts';
import { ssoDomainsRoutes } from './sso-domains.ts';
import { ssoLoginRoutes } from './sso-login.ts';
import { tenantsRoutes } from './tenants.ts';

const RESOURCE_ROUTES: readonly RouteModule[] = [
  authRoutes,
  accountsRoutes,
  ssoLoginRoutes,
  meRoutes,
  tenantsRoutes,
  membersRoutes,
  invitationsRoutes,
  apiKeysRoutes,
  secretsRoutes,
  auditLogRoutes,
  ssoConnectionRoutes,
  ssoDomainsRoutes,
  operationsRoutes,
  operatorsRoutes,
  licenseRoutes,
  releasesRoutes,
  // The approval primitive serves every family that waits for approval (workflows/approvals/).
  approvalRoutes,
  approvalPolicyRoutes,
  approvalDelegationRoutes,
  adminHealthRoutes,
  stuckActivitiesRoutes,
];

/** api/<family>/routes.ts's default export: the family's route modules. */
async function familyRoutes(family: string): Promise<RouteModule[]> {
  const module = (await import(`../${family}/routes.ts`)) as { default?: RouteModule[] };
  if (!Array.isArray(module.default))
    throw new Error(`api/${family}/routes.ts must export default [routeModule(…), …].`);
  return module.default;
}

export async function loadRouteModules(): Promise<RouteModule[]> {
  const families = await Promise.all(WORKFLOW_FAMILIES.map(familyRoutes));
  return [...RESOURCE_ROUTES, ...families.flat()];
}

/** Every mount of the modules, most specific first (more path segments), otherwise in list order. */
export function mountOrder(modules: readonly RouteModule[]): RouteModule['mounts'][number][] {
  const mounts = modules.flatMap((module) => module.mounts);
  const depth = (path: string) => path.split('/').filter(Boolean).length;
  return mounts
    .map((mount, index) => ({ mount, index }))
    .sort((a, b) => depth(b.mount.path) - depth(a.mount.path) || a.index - b.index)
    .map(({ mount }) => mount);
}

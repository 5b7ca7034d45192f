// The secret-rotation family's route modules (found by api/routes/registry.ts by the family's
// name): a secret's rotations, "rotate now", the confirmation of a manual rotation, and its
// rotation settings; a tenant's default rotation policy per secret kind; the platform's access-token signing keys and their rotation; and a
// tenant's database login, its rotation and rotation policy.
import type { RouteModule } from '../routes/route-module.ts';
import { databaseLoginRoutes } from './database-login-routes.ts';
import { secretKindPolicyRoutes } from './kind-policy-routes.ts';
import { secretRotationRoutes } from './rotation-routes.ts';
import { signingKeyRoutes } from './signing-key-routes.ts';

export default [
  secretRotationRoutes,
  signingKeyRoutes,
  databaseLoginRoutes,
  secretKindPolicyRoutes,
] satisfies RouteModule[];

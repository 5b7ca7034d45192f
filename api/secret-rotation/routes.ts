// The secret-rotation family's route modules (found by api/routes/registry.ts by the family's
// name): a secret's rotations, "rotate now", the confirmation of a manual rotation, and its
// rotation settings.
import type { RouteModule } from '../routes/route-module.ts';
import { secretRotationRoutes } from './rotation-routes.ts';

export default [secretRotationRoutes] satisfies RouteModule[];

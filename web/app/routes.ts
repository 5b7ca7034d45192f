import { index, route } from '@react-router/dev/routes';
import type { RouteConfig } from '@react-router/dev/routes';

export default [
  index('routes/home.tsx'),
  route('tenants', 'routes/tenants.tsx'),
  route('operations', 'routes/operations.tsx'),
  route('operations/:operationId', 'routes/operation.tsx'),
  route('*', 'routes/not-found.tsx'),
] satisfies RouteConfig;

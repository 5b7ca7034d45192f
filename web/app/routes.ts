import { index, route } from '@react-router/dev/routes';
import type { RouteConfig } from '@react-router/dev/routes';

export default [
  index('routes/home.tsx'),
  route('login', 'routes/login.tsx'),
  route('logout', 'routes/logout.tsx'),
  route('signup', 'routes/signup.tsx'),
  route('profile', 'routes/profile.tsx'),
  route('verify-email', 'routes/verify-email.tsx'),
  route('forgot-password', 'routes/forgot-password.tsx'),
  route('reset-password', 'routes/reset-password.tsx'),
  route('sso', 'routes/sso.tsx'),
  route('sso/callback', 'routes/sso-callback.tsx'),
  route('sso/verify-domain', 'routes/sso-verify-domain.tsx'),
  route('tenants', 'routes/tenants.tsx'),
  route('tenants/:slug/members', 'routes/members.tsx'),
  route('tenants/:slug/invitations', 'routes/invitations.tsx'),
  route('tenants/:slug/api-keys', 'routes/api-keys.tsx'),
  route('tenants/:slug/sso', 'routes/sso-settings.tsx'),
  route('invitations/:token', 'routes/invitation.tsx'),
  route('tenants/:slug/audit-log', 'routes/audit-log.tsx'),
  route('tenants/:slug/audit-log/export', 'routes/audit-log-export.ts'),
  route('operations', 'routes/operations.tsx'),
  route('operations/:operationId', 'routes/operation.tsx'),
  route('operations/:operationId/events', 'routes/operation-events.ts'),
  route('*', 'routes/not-found.tsx'),
] satisfies RouteConfig;

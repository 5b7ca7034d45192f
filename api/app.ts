// The Express application: security headers, request ids, JSON bodies with a size limit,
// the /api/v1 routes, health checks, and problem+json for every error.
import express from 'express';
import helmet from 'helmet';
import type { ApiDeps } from './deps.ts';
import { ProblemError, problemHandler } from './http/problem.ts';
import { requestContext } from './http/request-context.ts';
import { accountsRouter } from './routes/accounts.ts';
import { apiKeysRouter } from './routes/api-keys.ts';
import { invitationAcceptRouter, invitationsRouter } from './routes/invitations.ts';
import { auditLogRouter } from './routes/audit-log.ts';
import { authRouter } from './routes/auth.ts';
import { healthRouter } from './routes/health.ts';
import { jwksRouter } from './routes/jwks.ts';
import { licenseRouter } from './routes/license.ts';
import { meRouter } from './routes/me.ts';
import { membersRouter } from './routes/members.ts';
import { openApiRouter } from './routes/openapi.ts';
import { operationsRouter } from './routes/operations.ts';
import { ssoConnectionRouter } from './routes/sso-connection.ts';
import { ssoDomainsRouter, ssoDomainVerificationRouter } from './routes/sso-domains.ts';
import { ssoLoginRouter } from './routes/sso-login.ts';
import { tenantApprovalRouter } from './tenant-provisioning/approval-routes.ts';
import { tenantResourcesRouter } from './tenant-provisioning/resources-routes.ts';
import { tenantOffboardingRouter } from './tenant-offboarding/routes.ts';
import { tenantSuspensionRouter } from './tenant-suspension/routes.ts';
import { tenantsRouter } from './routes/tenants.ts';

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext(deps.logger));
  // No global content security policy: the API's below is the strictest there is, and the
  // portal's pages get a nonce-based one of their own, per request (api/portal.ts).
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use(healthRouter(deps));
  app.use(jwksRouter(deps));

  const api = express.Router();
  api.use(helmet.contentSecurityPolicy({ directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }));
  api.use(express.json({ limit: deps.settings.bodyLimitBytes, strict: true }));
  api.use(openApiRouter());
  api.use('/auth', authRouter(deps));
  api.use('/auth', accountsRouter(deps));
  api.use('/auth/sso', ssoLoginRouter(deps));
  api.use('/sso/domain-verifications', ssoDomainVerificationRouter(deps));
  api.use('/me', meRouter(deps));
  api.use('/tenants/:slug/members', membersRouter(deps));
  api.use('/tenants/:slug/audit-log', auditLogRouter(deps));
  api.use('/tenants/:slug/api-keys', apiKeysRouter(deps));
  api.use('/tenants/:slug/invitations', invitationsRouter(deps));
  api.use('/tenants/:slug/sso/domains', ssoDomainsRouter(deps));
  api.use('/tenants/:slug/sso', ssoConnectionRouter(deps));
  api.use('/tenants/:slug/approval', tenantApprovalRouter(deps));
  api.use('/tenants/:slug/resources', tenantResourcesRouter(deps));
  api.use('/tenants/:slug', tenantSuspensionRouter(deps));
  api.use('/tenants/:slug', tenantOffboardingRouter(deps));
  api.use('/invitations', invitationAcceptRouter(deps));
  api.use('/tenants', tenantsRouter(deps));
  api.use('/operations', operationsRouter(deps));
  api.use('/license', licenseRouter(deps));
  api.use((req) => {
    throw new ProblemError('notFound', `No route ${req.method} ${req.originalUrl}.`);
  });
  api.use(problemHandler(deps.logger));
  app.use('/api/v1', api);
  return app;
}

/** Mounted after the portal so unknown non-API paths still answer with a problem. */
export function finalErrorHandler(deps: ApiDeps): express.ErrorRequestHandler {
  return problemHandler(deps.logger);
}

// /api/v1/openapi.json: the OpenAPI 3.1 document, generated from the routes' zod schemas.
import { Router } from 'express';
import { createDocument } from 'zod-openapi';
import { authPaths } from './auth.ts';
import { mePaths } from './me.ts';
import { accountsPaths } from './accounts.ts';
import { apiKeysPaths } from './api-keys.ts';
import { invitationsPaths } from './invitations.ts';
import { licensePaths } from './license.ts';
import { auditLogPaths } from './audit-log.ts';
import { membersPaths } from './members.ts';
import { operationsPaths } from './operations.ts';
import { ssoConnectionPaths } from './sso-connection.ts';
import { ssoDomainsPaths } from './sso-domains.ts';
import { ssoLoginPaths } from './sso-login.ts';
import { tenantApprovalPaths } from '../tenant-provisioning/approval-routes.ts';
import { tenantResourcesPaths } from '../tenant-provisioning/resources-routes.ts';
import { tenantOffboardingPaths } from '../tenant-offboarding/routes.ts';
import { tenantSuspensionPaths } from '../tenant-suspension/routes.ts';
import { tenantsPaths } from './tenants.ts';

export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Atrium API',
      version: '1',
      description:
        'Control plane for Atrium tenants. Commands that start long-running work return 202 with an operation; follow it with GET /api/v1/operations/{id} or its event stream. Errors are RFC 9457 problem details.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths: {
      ...authPaths,
      ...accountsPaths,
      ...ssoLoginPaths,
      ...mePaths,
      ...tenantsPaths,
      ...membersPaths,
      ...invitationsPaths,
      ...apiKeysPaths,
      ...auditLogPaths,
      ...ssoConnectionPaths,
      ...ssoDomainsPaths,
      ...tenantSuspensionPaths,
      ...tenantApprovalPaths,
      ...tenantResourcesPaths,
      ...tenantOffboardingPaths,
      ...operationsPaths,
      ...licensePaths,
    },
  });
}

export function openApiRouter(): Router {
  const document = buildOpenApiDocument(); // built once: the schemas do not change at run time
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}

// @needs-servers: vault
// Tenant secrets with OpenBao as the secret store; the same suite runs against the local
// store in tenant-secrets.test.ts.
import { tenantSecretsSuite } from '../support/tenant-secrets.ts';

tenantSecretsSuite('vault');

// Tenant secrets with the local encrypted store (the embedded default); the same suite runs
// against OpenBao in tenant-secrets-vault.test.ts.
import { tenantSecretsSuite } from '../support/tenant-secrets.ts';

tenantSecretsSuite('local');

// Builds every activity from the dependencies the worker creates once at start.
import type { DataSource } from 'typeorm';
import type { Billing } from '../integrations/billing/port.ts';
import type { Cluster } from '../integrations/cluster/port.ts';
import type { Mailer } from '../integrations/mail/port.ts';
import type { OutboundFetch } from '../integrations/outbound/fetch.ts';
import type { SecretStore } from '../integrations/secrets/port.ts';
import type { LicenseSigner } from './license.ts';
import { createTenantApprovalActivities } from './tenant-approval.ts';
import { createTenantOffboardingActivities } from './tenant-offboarding.ts';
import { createProvisioningActivities } from './tenant-provisioning.ts';
import { createTenantSuspensionActivities } from './tenant-suspension.ts';
import { createTenantActivities } from './tenants.ts';

export interface ActivityDeps {
  dataSource: DataSource;
  /** The tenant's namespaces live here (or are skipped: no cluster), one per environment. */
  cluster: { port: Cluster; environments: readonly string[] };
  /** Tenant secrets (database credentials), their Vault policy and AppRole. */
  secretStore: SecretStore;
  /** The tenant's billing customer and subscription. */
  billing: Billing;
  /** Welcome mails. */
  mailer: Mailer;
  /**
   * The only way to call an address a tenant gave (webhooks, OAuth providers): refuses
   * loopback, private and metadata addresses at connect time (integrations/outbound/).
   */
  outbound: OutboundFetch;
  /** Where tenant workloads reach PostgreSQL (host, port, database of DATABASE_URL). */
  tenantDatabase: { host: string; port: number; database: string };
  /** Signs tenant licenses (LICENSE_SIGNING_KEY_FILE). */
  license: LicenseSigner;
  /** The portal's address, for links in mails. */
  publicUrl: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTenantActivities(deps),
    ...createProvisioningActivities(deps),
    ...createTenantSuspensionActivities(deps),
    ...createTenantApprovalActivities(deps),
    ...createTenantOffboardingActivities(deps),
  };
}

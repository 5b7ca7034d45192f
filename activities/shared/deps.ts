// What activities are built from: the clients the worker creates once at start. Each family
// gets its own database pool (and the local adapters bound to it), so one family's work never
// waits for another's connections (worker/registry.ts).
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { ConnectorConfig } from '../../config/connectors.ts';
import type { Billing } from '../../integrations/billing/port.ts';
import type { Cluster } from '../../integrations/cluster/port.ts';
import type { Mailer } from '../../integrations/mail/port.ts';
import type { OutboundFetch } from '../../integrations/outbound/fetch.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import type { SigningClock } from '../../integrations/webhooks/signing-clock.ts';
import type { LicenseSigner } from '../tenant-provisioning/license.ts';

export interface ActivityDeps {
  dataSource: DataSource;
  /** The tenant's namespaces live here (or are skipped: no cluster), one per environment. */
  cluster: { port: Cluster; environments: readonly string[] };
  /** Tenant secrets (database credentials), their Vault policy and AppRole. */
  secretStore: SecretStore;
  /** The tenant's billing customer and subscription. */
  billing: Billing;
  /** Welcome mails, and mails to owners about their failing webhook endpoints. */
  mailer: Mailer;
  /**
   * The only way to call an address a tenant gave (webhooks, OAuth providers): refuses
   * loopback, private and metadata addresses at connect time (integrations/outbound/).
   */
  outbound: OutboundFetch;
  /** Stamps webhook deliveries' `webhook-timestamp`: the real clock (tests may accelerate it). */
  webhookSigningClock: SigningClock;
  /** Where tenant workloads reach PostgreSQL (host, port, database of DATABASE_URL). */
  tenantDatabase: { host: string; port: number; database: string };
  /** Signs tenant licenses (LICENSE_SIGNING_KEY_FILE). */
  license: LicenseSigner;
  /** The portal's address, for links in mails. */
  publicUrl: string;
  /** How long an owner invitation mailed by provisioning works (INVITATION_TTL, as the API's invitations). */
  invitationTtlMs: number;
  /** CONNECTOR_ALLOW_INSECURE_PROVIDERS: tenant-defined OAuth providers on http:// (tests only). */
  connectors: ConnectorConfig;
  /**
   * The worker's Temporal client: connector syncs ask maintainConnection for a fresh token (its
   * Update) and pause or resume a connection's sync schedules.
   */
  temporal: Client;
}

/** An activity as the worker registers it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each activity has its own input type
export type ActivityFunction = (...args: any[]) => Promise<unknown>;

/**
 * What every activities/<family>/index.ts exports as its default: how to build the family's
 * activities, and how many may run at once when WORKER_ACTIVITY_SLOTS does not say.
 */
export interface ActivityFamily {
  /** Activity slots of the family's worker; its database pool has one connection more. */
  defaultActivitySlots: number;
  createActivities(deps: ActivityDeps): Record<string, ActivityFunction>;
}

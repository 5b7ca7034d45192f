// The components the admin health page checks, and how each is asked whether it answers.
// The probes only read: SELECT 1, Temporal's system info, each port's verify(), the
// cluster's `default` namespace.
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Billing } from '../../integrations/billing/port.ts';
import type { Cluster } from '../../integrations/cluster/port.ts';
import type { Mailer } from '../../integrations/mail/port.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import type { HealthProbe } from './checks.ts';

export function platformProbes(parts: {
  dataSource: DataSource;
  temporal: Client;
  secretStore: SecretStore;
  billing: Billing;
  cluster: Cluster;
  mailer: Mailer;
}): HealthProbe[] {
  const { dataSource, temporal, secretStore, billing, cluster, mailer } = parts;
  return [
    { component: 'postgres', label: 'PostgreSQL', adapter: 'postgres', probe: () => dataSource.query('SELECT 1') },
    {
      component: 'temporal',
      label: 'Temporal',
      adapter: 'temporal',
      probe: () => temporal.workflowService.getSystemInfo({}),
    },
    { component: 'secretStore', label: 'Secret store', adapter: secretStore.kind, probe: () => secretStore.verify() },
    { component: 'billing', label: 'Billing', adapter: billing.kind, probe: () => billing.verify() },
    {
      component: 'cluster',
      label: 'Cluster',
      adapter: cluster.kind,
      probe:
        cluster.kind === 'none'
          ? null
          : async () => {
              const outcome = await cluster.readNamespaceStatus('default');
              if (outcome.status === 'done' && !outcome.result.found)
                throw new Error(`the API server answered ${outcome.result.httpStatus} for namespace default`);
            },
    },
    {
      component: 'mail',
      label: 'Mail (SMTP)',
      adapter: mailer.kind,
      probe: mailer.kind === 'log' ? null : () => mailer.verify(),
    },
  ];
}

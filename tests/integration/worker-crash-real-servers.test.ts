// @needs-servers: vault stripe kube
// The worker is SIGKILLed inside each provisioning step in turn (record, database,
// secrets, billing, cluster, license, welcome, activate), against OpenBao, stripe-mock and
// the local Kubernetes control plane; a new worker takes over and every tenant still ends
// active with exactly one schema, one login role, one version of its database secret in
// OpenBao, one namespace per environment in the kube API server, one Stripe customer
// request under the derived idempotency key, one welcome mail, and each change audited once.
//
// The kill lands inside the step because the step is paused on a lock the test holds
// (startProvisioningPausedAt): the killed worker's activity is running, heartbeating, and
// waiting on PostgreSQL when it dies.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { createVaultSecretStore } from '../../integrations/secrets/vault.ts';
import { uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { activityAttempts, startProvisioningPausedAt } from '../support/provisioning.ts';
import { kubeServer, stripeServer, vaultServer, workerEnvFor } from '../support/servers.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const ENVIRONMENTS = ['production', 'staging'];
/** The free plan's tenants get the first configured environment only (docs/decisions/0019). */
const PROVISIONED = ENVIRONMENTS.slice(0, 1);

/** Each step, and the activity that runs it. */
const STEPS = [
  ['record', 'createTenantRecord'],
  ['database', 'createTenantDatabase'],
  ['secrets', 'grantTenantSecretAccess'],
  ['billing', 'createTenantBilling'],
  ['cluster', 'createTenantEnvironments'],
  ['license', 'issueTenantLicense'],
  ['welcome', 'sendWelcomeMail'],
  ['activate', 'activateTenant'],
] as const;

const vault = vaultServer();
const secrets = createVaultSecretStore({
  address: vault.address,
  auth: { token: vault.rootToken },
  kvMount: 'secret',
  transitMount: 'transit',
  approleMount: 'approle',
});
const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const core = kube.makeApiClient(k8s.CoreV1Api);

interface StripeRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
}

/**
 * A pass-through HTTP proxy in front of stripe-mock that records every request the worker
 * sends (stripe-mock itself keeps nothing), so the test can count customer creates.
 */
async function startStripeRecorder(): Promise<{ port: number; requests: StripeRequest[]; stop(): Promise<void> }> {
  const target = stripeServer();
  const requests: StripeRequest[] = [];
  const server = createServer((req, res) => {
    const key = req.headers['idempotency-key'];
    requests.push({ method: req.method ?? '', path: req.url ?? '', idempotencyKey: Array.isArray(key) ? key[0] : key });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers.set(name, value);
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks);
      fetch(`http://${target.host}:${target.port}${req.url ?? '/'}`, { method: req.method, headers, body })
        .then(async (answer) => {
          const payload = Buffer.from(await answer.arrayBuffer());
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/json',
            ...(answer.headers.get('request-id') ? { 'request-id': answer.headers.get('request-id')! } : {}),
            ...(answer.headers.get('stripe-version')
              ? { 'stripe-version': answer.headers.get('stripe-version')! }
              : {}),
          });
          res.end(payload);
        })
        .catch((error: unknown) => {
          res.writeHead(502).end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('worker killed inside each provisioning step, against the real servers', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let stripe: Awaited<ReturnType<typeof startStripeRecorder>>;

  before(async () => {
    smtp = await startSmtpCapture();
    stripe = await startStripeRecorder();
    platform = await startPlatform({
      env: { SMTP_URL: smtp.url },
      workerEnv: {
        ...workerEnvFor({ vault: true, stripe: true, kube: 'admin' }),
        STRIPE_API_PORT: String(stripe.port),
        CLUSTER_ENVIRONMENTS: ENVIRONMENTS.join(','),
      },
    });
  });
  after(async () => {
    await platform?.stop();
    await stripe?.stop();
    await smtp?.stop();
  });

  for (const [step, activityType] of STEPS) {
    it(`survives a kill during the ${step} step`, async () => {
      const slug = uniqueSlug(`kill-${step}`);
      const paused = await startProvisioningPausedAt(platform, slug, step);
      await platform.worker.kill();
      await platform.startWorker();
      await paused.release();

      const operation = await waitForOperation(platform, paused.id, 120_000);
      assert.equal(operation.status, 'completed', JSON.stringify(operation));
      const attempts = await activityAttempts(platform, paused.id, activityType);
      assert.ok((attempts.at(-1) ?? 0) >= 2, `${activityType} ran again after the kill: ${JSON.stringify(attempts)}`);
      await expectProvisionedOnce(slug, paused.tenantId);
    });
  }

  async function expectProvisionedOnce(slug: string, tenantId: string): Promise<void> {
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    const tenants = await platform.database.query(`SELECT id, status FROM tenants WHERE slug = $1`, [slug]);
    assert.deepEqual(tenants, [{ id: tenantId, status: 'active' }]);
    const schemas = await platform.database.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
    assert.equal(schemas.length, 1, 'one schema');
    const roles = await platform.database.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [`${schema}_login`]);
    assert.equal(roles.length, 1, 'one login role');

    const metadata = await secrets.metadata(`tenants/${slug}/database`);
    assert.deepEqual(
      metadata?.versions.map((v) => v.version),
      [1],
      'one version of the database secret in OpenBao',
    );

    const namespaces = await core.listNamespace({ labelSelector: `atrium.dev/tenant-id=${tenantId}` });
    assert.deepEqual(
      namespaces.items.map((ns) => ns.metadata?.name).sort(),
      PROVISIONED.map((environment) => `tenant-${slug}-${environment}`).sort(),
      'one namespace per environment in the kube API server',
    );

    const customerKey = `tenant/${tenantId}/provision/billing-customer`;
    const customerRequests = stripe.requests.filter(
      (r) => r.method === 'POST' && r.path === '/v1/customers' && r.idempotencyKey?.startsWith(`tenant/${tenantId}/`),
    );
    assert.deepEqual(
      customerRequests.map((r) => r.idempotencyKey),
      [customerKey],
      'one customer create, under the derived key',
    );
    const [resources] = await platform.database.query<{ billing_customer_id: string | null }>(
      `SELECT billing_customer_id FROM tenant_resources WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.match(resources?.billing_customer_id ?? '', /^cus_/);

    assert.equal(smtp.mailsTo(`owner@${slug}.test`).filter((m) => /^Welcome/.test(m.subject)).length, 1, 'one welcome');

    const audited = await platform.database.query(
      `SELECT action, count(*)::int AS n FROM audit_log WHERE tenant_id = $1 GROUP BY action ORDER BY action`,
      [tenantId],
    );
    assert.deepEqual(
      audited,
      [
        ['environment.created', PROVISIONED.length],
        ['invitation.created', 1], // the owner's invitation, sent with the welcome
        ['tenant.activated', 1],
        ['tenant.billing_customer_created', 1],
        ['tenant.billing_subscription_created', 1],
        ['tenant.created', 1],
        ['tenant.database_role_created', 1],
        ['tenant.database_secret_written', 1],
        ['tenant.license_issued', 1],
        ['tenant.namespace_created', PROVISIONED.length],
        ['tenant.schema_created', 1],
        ['tenant.secret_access_granted', 1],
        ['tenant.welcome_mail_sent', 1],
      ].map(([action, n]) => ({ action, n })),
      'each change audited exactly once despite the kill',
    );
  }
});

// @needs-servers: stripe
// A tenant's invoices and its license through the API, against stripe-mock (the API and the
// worker both bill through it: provisioning creates the customer whose invoices are listed).
// Owners and admins read the invoices (`billing.read`); developers and viewers get 403;
// another tenant's owner gets the 404 of a tenant that does not exist; bad queries are 422
// naming `limit`. Stripe's failures are the provider's: a second API process whose Stripe
// cannot be reached answers 503 with Retry-After, one whose Stripe address answers errors
// (the platform's own API, which is not Stripe) answers 502 — problem+json naming Stripe,
// never a 500. Every member downloads the license, which verifies against the JWKS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { InvoiceList } from '../../contracts/invoices.ts';
import { LicenseJwks, TenantLicenseDocument } from '../../contracts/license.ts';
import { Problem } from '../../contracts/problems.ts';
import { freePort } from '../../scripts/free-port.ts';
import { request } from '../support/api-client.ts';
import { testEnv } from '../support/env.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { jwtPrivateKey, seedUser, startPlatform } from '../support/platform.ts';
import type { ChildHandle } from '../support/processes.ts';
import { ENTRY_POINTS, startNodeProcess } from '../support/processes.ts';
import { provisionTenantWithOwner } from '../support/provisioning.ts';
import { workerEnvFor } from '../support/servers.ts';

describe('invoices from stripe-mock, and the license', () => {
  let platform: Platform;
  const stripeEnv = workerEnvFor({ stripe: true });
  let tenant: { id: string; slug: string; owner: TestUser };
  let other: { id: string; slug: string; owner: TestUser };
  const members: Record<'admin' | 'developer' | 'viewer', TestUser> = {} as never;
  const extraApis: ChildHandle[] = [];

  before(async () => {
    platform = await startPlatform({ env: stripeEnv });
    tenant = await provisionTenantWithOwner(platform, 'invoiced', { plan: 'team' });
    other = await provisionTenantWithOwner(platform, 'elsewhere');
    for (const role of ['admin', 'developer', 'viewer'] as const) {
      members[role] = await seedUser(platform.database, { email: `${role}@${tenant.slug}.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenant.id,
        members[role].userId,
        role,
      ]);
    }
  });
  after(async () => {
    for (const api of extraApis) await api.stop();
    await platform?.stop();
  });

  /** A second API process on the same database whose Stripe is somewhere else. */
  async function apiWithStripeAt(port: number): Promise<string> {
    const api = await startNodeProcess(ENTRY_POINTS.api, {
      env: {
        DATABASE_URL: platform.database.url,
        TEMPORAL_ADDRESS: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS,
        TEMPORAL_TASK_QUEUE: platform.taskQueue,
        METERING_SCHEDULE: 'off',
        PORT: '0',
        PORTAL_MODE: 'off',
        JWT_PRIVATE_KEY: jwtPrivateKey,
        ...stripeEnv,
        STRIPE_API_PORT: String(port),
      },
      readyWhen: /"url":"(http:\/\/[^"]+)"/,
    });
    extraApis.push(api);
    return api.ready[1] as string;
  }

  const invoicesOf = (slug: string, headers: Record<string, string>, query = '', baseUrl = platform.baseUrl) =>
    request(baseUrl, 'GET', `/api/v1/tenants/${slug}/invoices${query}`, { headers });

  it("lists the tenant's Stripe invoices to owners and admins", async () => {
    for (const caller of [tenant.owner, members.admin, platform.admin]) {
      const answer = await invoicesOf(tenant.slug, caller.headers);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const list = InvoiceList.parse(answer.body);
      assert.equal(list.provider, 'stripe');
      // stripe-mock answers its fixture: one draft invoice of 10.00 USD.
      assert.ok(list.invoices.length >= 1, JSON.stringify(list));
      const [invoice] = list.invoices;
      assert.match(invoice!.id, /^in_/);
      assert.equal(invoice!.currency, 'usd');
      assert.equal(invoice!.amountDue, 1000);
      assert.ok(!Number.isNaN(Date.parse(invoice!.periodStart)) && !Number.isNaN(Date.parse(invoice!.created)));
    }
    const limited = await invoicesOf(tenant.slug, tenant.owner.headers, '?limit=1');
    assert.equal(limited.status, 200, JSON.stringify(limited.body));
  });

  it('refuses bad queries naming the field, and roles without billing.read', async () => {
    for (const query of ['?limit=0', '?limit=101', '?limit=two', '?limit=1.5']) {
      const answer = await invoicesOf(tenant.slug, tenant.owner.headers, query);
      assert.equal(answer.status, 422, `${query}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.deepEqual(
        Problem.parse(answer.body).errors?.map((error) => error.path),
        ['limit'],
        query,
      );
    }
    const unknown = await invoicesOf(tenant.slug, tenant.owner.headers, '?starting_after=in_1');
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));

    for (const role of ['developer', 'viewer'] as const) {
      const answer = await invoicesOf(tenant.slug, members[role].headers);
      assert.equal(answer.status, 403, `${role}: ${JSON.stringify(answer.body)}`);
    }
    const outsider = await invoicesOf(tenant.slug, other.owner.headers);
    assert.equal(outsider.status, 404, JSON.stringify(outsider.body));
    assert.match(outsider.body.detail, /No tenant/);
    assert.equal((await invoicesOf(tenant.slug, {})).status, 401);
  });

  it('answers an empty list for a tenant without a billing customer', async () => {
    await platform.database.query(`UPDATE tenant_resources SET billing_customer_id = NULL WHERE tenant_id = $1`, [
      other.id,
    ]);
    const answer = await invoicesOf(other.slug, other.owner.headers);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(InvoiceList.parse(answer.body), { provider: 'stripe', invoices: [], hasMore: false });
  });

  it("turns Stripe's failures into 503 and 502 problems, never a 500", async () => {
    const unreachable = await apiWithStripeAt(await freePort());
    const down = await invoicesOf(tenant.slug, tenant.owner.headers, '', unreachable);
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.match(down.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(down.headers.get('retry-after'), '30');
    assert.match(Problem.parse(down.body).detail ?? '', /Stripe .* could not be reached while listing the invoices/);

    // The platform's own API stands in for a Stripe address that answers with errors: it is
    // a real server, and it answers /v1/invoices with a 404 problem Stripe's client rejects.
    const notStripe = await apiWithStripeAt(Number(new URL(platform.baseUrl).port));
    const refused = await invoicesOf(tenant.slug, tenant.owner.headers, '', notStripe);
    assert.equal(refused.status, 502, JSON.stringify(refused.body));
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(Problem.parse(refused.body).detail ?? '', /could not be read from the billing provider\. Stripe/);
  });

  it('gives every member the signed license, which verifies against the JWKS', async () => {
    const jwks = LicenseJwks.parse((await request(platform.baseUrl, 'GET', '/api/v1/license/jwks')).body);
    for (const caller of [tenant.owner, members.viewer]) {
      const answer = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/license`, {
        headers: caller.headers,
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const license = TenantLicenseDocument.parse(answer.body);
      assert.equal(license.tier, 'team');
      assert.equal(license.jwksUrl, '/api/v1/license/jwks');
      assert.equal(decodeProtectedHeader(license.token).kid, license.keyId);
      const { payload, protectedHeader } = await jwtVerify(license.token, createLocalJWKSet(jwks), {
        issuer: 'atrium',
        audience: 'atrium-license',
      });
      assert.equal(protectedHeader.typ, 'atrium-license+jwt');
      assert.equal(payload.jti, license.licenseId);
      assert.equal(payload.sub, tenant.id);
      assert.equal(payload.tenant, tenant.slug);
    }
    const outsider = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/license`, {
      headers: other.owner.headers,
    });
    assert.equal(outsider.status, 404);
  });
});

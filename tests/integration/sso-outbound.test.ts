// Single sign-on settings and the outbound guard, against the real API without
// OUTBOUND_ALLOW_LOOPBACK (as in production): an issuer on loopback, by address, by name or in
// its IPv4-mapped form, and a cloud metadata name, are refused with a 422 naming `issuer` and
// saying which address and why. The refusal happens before connecting: the loopback server
// standing in for the provider never sees a request, and nothing is saved.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

describe('single sign-on refuses issuers outside the public internet', () => {
  let platform: Platform;
  let server: ReturnType<typeof createServer>;
  let port: number;
  let slug: string;
  const hits: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // http:// issuers are allowed, so what refuses them below is the address, not the scheme.
    platform = await startPlatform({ env: { SSO_ALLOW_INSECURE_ISSUERS: 'true' } });
    slug = uniqueSlug('sso-outbound');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Outbound Co', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    // Single sign-on is the enterprise plan's (the `sso` feature).
    await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE slug = $1`, [slug]);
  });
  after(async () => {
    await platform?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  const put = (issuer: string) =>
    request(platform.baseUrl, 'PUT', `/api/v1/tenants/${slug}/sso`, {
      headers: platform.admin.headers,
      json: { issuer, clientId: 'atrium', clientSecret: 'a-client-secret', defaultRole: 'viewer' },
    });

  // The issuer's host (the port is the loopback server's), and what the refusal must say.
  const cases: [host: string, message: RegExp][] = [
    ['127.0.0.1', /127\.0\.0\.1 is a loopback address; Atrium only calls public addresses/],
    ['localhost', /localhost resolves to (127\.0\.0\.1|::1), a loopback address; Atrium only/],
    ['[::ffff:127.0.0.1]', /the IPv4-mapped form of 127\.0\.0\.1, a loopback address/],
    ['metadata.google.internal', /metadata\.google\.internal is the name of a cloud metadata service/],
  ];

  for (const [host, message] of cases) {
    it(`answers 422 naming issuer for http://${host}`, async () => {
      const refused = await put(`http://${host}:${port}/`);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.deepEqual(
        refused.body.errors.map((e: { path: string }) => e.path),
        ['issuer'],
      );
      assert.match(refused.body.errors[0].message, message);
    });
  }

  it('sent nothing to the loopback server and saved nothing', async () => {
    assert.deepEqual(hits, []);
    const rows = await platform.database.query<{ n: string }>(`SELECT count(*) AS n FROM sso_connections`);
    assert.equal(Number(rows[0]!.n), 0);
    const secrets = await platform.database.query<{ n: string }>(
      `SELECT count(*) AS n FROM local_secrets WHERE path LIKE $1`,
      [`tenants/${slug}/sso/%`],
    );
    assert.equal(Number(secrets[0]!.n), 0);
  });
});

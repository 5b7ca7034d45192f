// Sign-in and tokens through the HTTP API: password login, Ed25519 access tokens checked
// by RFC 8725 rules, rotating refresh tokens whose reuse revokes the family, lockout and
// per-IP rate limits with Retry-After.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createDataSource } from '../../db/data-source.ts';
import { createUserIfAbsent } from '../../db/repositories/users.ts';
import { request } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { jwtPrivateKey, startPlatform } from '../support/platform.ts';

const PASSWORD = 'correct horse battery staple';

describe('authentication', () => {
  let platform: Platform;
  const users: Record<string, string> = {};

  before(async () => {
    platform = await startPlatform({
      env: { LOGIN_RATE_LIMIT: '40', LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_DURATION: '1m' },
    });
    const owner = createDataSource({
      url: platform.database.ownerUrl,
      applicationName: 'atrium-test-seed',
      poolSize: 1,
    });
    await owner.initialize();
    for (const name of ['ada', 'bob', 'cyd']) {
      users[name] = (await createUserIfAbsent(owner, {
        email: `${name}@auth.test`,
        displayName: name,
        password: PASSWORD,
      })) as string;
    }
    await owner.destroy();
  });
  after(async () => {
    await platform?.stop();
  });

  const login = (email: string, password = PASSWORD) =>
    request(platform.baseUrl, 'POST', '/api/v1/auth/login', { json: { email, password } });
  const me = (token: string) =>
    request(platform.baseUrl, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
  const refresh = (refreshToken: string) =>
    request(platform.baseUrl, 'POST', '/api/v1/auth/refresh', { json: { refreshToken } });

  it('signs in with email and password and serves the user with the access token', async () => {
    const session = await login('ADA@auth.test');
    assert.equal(session.status, 200, JSON.stringify(session.body));
    assert.equal(session.body.tokenType, 'Bearer');
    assert.equal(session.body.expiresIn, 900);
    assert.match(session.body.refreshToken, /^rt_/);
    const profile = await me(session.body.accessToken);
    assert.equal(profile.status, 200);
    assert.deepEqual(profile.body, {
      id: users.ada,
      email: 'ada@auth.test',
      displayName: 'ada',
      isPlatformAdmin: false,
      operatorRole: null,
      emailVerified: false, // created straight in the database, never confirmed
    });

    const jwks = await request(platform.baseUrl, 'GET', '/.well-known/jwks.json');
    const [header] = session.body.accessToken.split('.');
    const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString());
    assert.equal(alg, 'EdDSA');
    assert.deepEqual(
      jwks.body.keys.map((k: any) => [k.kid, k.kty, k.crv, k.alg]),
      [[kid, 'OKP', 'Ed25519', 'EdDSA']],
    );
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const wrong = await login('bob@auth.test', 'not the password');
    const unknown = await login('nobody@auth.test');
    for (const response of [wrong, unknown]) {
      assert.equal(response.status, 401);
      assert.equal(response.body.type, 'urn:atrium:problem:invalid-credentials');
    }
    assert.equal(wrong.body.detail, unknown.body.detail);
  });

  describe('access tokens that must be refused with 401', () => {
    const privateKey = () => jwtPrivateKey;
    const claims = (overrides: Record<string, unknown> = {}) => ({ pa: false, ...overrides });

    async function sign(
      key: Parameters<SignJWT['sign']>[0],
      options: { alg?: string; aud?: string; iss?: string; exp?: number; typ?: string } = {},
    ) {
      return new SignJWT(claims())
        .setProtectedHeader({ alg: options.alg ?? 'EdDSA', typ: options.typ ?? 'at+jwt' })
        .setSubject(users.ada as string)
        .setIssuer(options.iss ?? 'atrium')
        .setAudience(options.aud ?? 'atrium-api')
        .setIssuedAt()
        .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
        .sign(key);
    }

    async function assertRefused(token: string, reason: RegExp) {
      const response = await me(token);
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.equal(response.body.type, 'urn:atrium:problem:unauthenticated');
      assert.match(response.body.detail, reason);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    }

    it('a token with alg "none"', async () => {
      const token = new UnsecuredJWT(claims())
        .setSubject(users.ada as string)
        .setIssuer('atrium')
        .setAudience('atrium-api')
        .setIssuedAt()
        .setExpirationTime('10m')
        .encode();
      await assertRefused(token, /./);
    });

    it('a token signed with another key', async () => {
      await assertRefused(await sign(generateKeyPairSync('ed25519').privateKey), /signature is not valid/);
    });

    it('an expired token', async () => {
      const { createPrivateKey } = await import('node:crypto');
      await assertRefused(
        await sign(createPrivateKey(privateKey()), { exp: Math.floor(Date.now() / 1000) - 60 }),
        /expired/,
      );
    });

    it('a token for another audience or issuer', async () => {
      const { createPrivateKey } = await import('node:crypto');
      await assertRefused(await sign(createPrivateKey(privateKey()), { aud: 'someone-else' }), /"aud" claim/);
      await assertRefused(await sign(createPrivateKey(privateKey()), { iss: 'https://evil.example' }), /"iss" claim/);
    });

    it('an HS256 token keyed with the public key (algorithm confusion)', async () => {
      const publicPem = createPublicKey(privateKey()).export({ type: 'spki', format: 'pem' }) as string;
      await assertRefused(await sign(new TextEncoder().encode(publicPem), { alg: 'HS256' }), /EdDSA/);
    });

    it('no token, or not a bearer token', async () => {
      for (const headers of [{}, { authorization: 'Basic YWRhOnB3' }] as Array<Record<string, string>>) {
        const response = await request(platform.baseUrl, 'GET', '/api/v1/me', { headers });
        assert.equal(response.status, 401);
        assert.equal(response.body.type, 'urn:atrium:problem:unauthenticated');
      }
    });
  });

  it('rotates refresh tokens, and a reused one revokes its whole family', async () => {
    const first = (await login('bob@auth.test')).body;
    const second = await refresh(first.refreshToken);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refreshToken, first.refreshToken);
    assert.equal((await me(second.body.accessToken)).status, 200);

    const replayed = await refresh(first.refreshToken);
    assert.equal(replayed.status, 401);
    assert.match(replayed.body.detail, /already used; every session from that login is now signed out/);
    const descendant = await refresh(second.body.refreshToken);
    assert.equal(descendant.status, 401, 'the token issued after the reused one is revoked too');

    const otherLogin = (await login('bob@auth.test')).body;
    assert.equal((await refresh(otherLogin.refreshToken)).status, 200, 'other logins are untouched');

    const audited = await platform.database.query(
      `SELECT action FROM audit_log WHERE action = 'session.reuse_detected' AND after->>'userId' = $1`,
      [users.bob],
    );
    assert.equal(audited.length, 1);
  });

  it('logs out by revoking the refresh token family', async () => {
    const session = (await login('cyd@auth.test')).body;
    const out = await request(platform.baseUrl, 'POST', '/api/v1/auth/logout', {
      json: { refreshToken: session.refreshToken },
    });
    assert.equal(out.status, 204);
    const after = await refresh(session.refreshToken);
    assert.equal(after.status, 401);
    assert.match(after.body.detail, /signed out|already used/);
  });

  it('locks an account after repeated failures, with Retry-After', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await login('cyd@auth.test', 'wrong')).status, 401);
    const third = await login('cyd@auth.test', 'wrong');
    assert.equal(third.status, 429);
    assert.equal(third.body.type, 'urn:atrium:problem:account-locked');
    const retryAfter = Number(third.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const correct = await login('cyd@auth.test');
    assert.equal(correct.status, 429, 'even the right password waits for the lock');
    const audited = await platform.database.query(
      `SELECT 1 FROM audit_log WHERE action = 'user.locked' AND target_id = $1`,
      [users.cyd],
    );
    assert.equal(audited.length, 1);
  });

  it('rate-limits logins per IP address, with Retry-After', async () => {
    let limited;
    for (let i = 0; i < 60 && !limited; i++) {
      const response = await login('nobody@auth.test');
      if (response.status === 429) limited = response;
    }
    assert.ok(limited, 'the limit was reached');
    assert.equal(limited.body.type, 'urn:atrium:problem:rate-limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  it('answers bad login input with 422 naming the field', async () => {
    const response = await request(platform.baseUrl, 'POST', '/api/v1/auth/refresh', {
      json: { refreshToken: '', extra: 1 },
    });
    assert.equal(response.status, 422);
    assert.deepEqual(response.body.errors.map((e: any) => e.path).sort(), ['extra', 'refreshToken']);
  });
});

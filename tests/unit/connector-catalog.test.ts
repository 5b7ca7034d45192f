// The connector provider catalog (integrations/oauth/catalog.ts): its entries pass the schema
// the processes check at boot, each names the documentation it was taken from, and the things
// the issue names per provider hold (the providers themselves cannot be reached from here).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadProviderCatalog, PROVIDER_CATALOG_ENTRIES } from '../../integrations/oauth/catalog.ts';
import { definitionUrls } from '../../integrations/oauth/provider-definition.ts';
import { PLANS } from '../../workflows/shared/plans.ts';

const catalog = loadProviderCatalog();

describe('connector provider catalog', () => {
  it('has the eight providers, each valid, with https endpoints and its documentation URL', () => {
    assert.deepEqual([...catalog.keys()].sort(), [
      'github',
      'google',
      'hubspot',
      'linkedin',
      'meta',
      'microsoft',
      'salesforce',
      'slack',
    ]);
    for (const definition of catalog.values()) {
      for (const { field, url } of definitionUrls(definition))
        assert.equal(new URL(url).protocol, 'https:', `${definition.id} ${field}`);
      assert.match(definition.documentationUrl, /^https:\/\//);
      assert.ok(definition.defaultScopes.length > 0, definition.id);
    }
  });

  it('records what the issue names about each provider', () => {
    const get = (id: string) => catalog.get(id)!;
    assert.deepEqual(get('google').authorizationParams, {
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
    });
    assert.equal(get('google').issuer, 'https://accounts.google.com');
    assert.equal(get('github').refresh, 'none', 'GitHub OAuth apps issue no refresh token');
    assert.deepEqual(get('slack').revocation, { kind: 'custom', method: 'slack-auth-revoke' });
    assert.equal(get('microsoft').revocation.kind, 'custom', 'Microsoft has no RFC 7009 endpoint');
    assert.equal(get('microsoft').refresh, 'rotating');
    assert.equal(get('slack').scopeSeparator, ',');
    assert.ok(get('microsoft').defaultScopes.includes('offline_access'));
    for (const id of ['google', 'microsoft', 'github', 'salesforce']) assert.equal(get(id).pkce, true, id);
  });

  it('marks premium providers with a feature some plans have and others lack', () => {
    const premium = [...catalog.values()].filter((d) => d.feature === 'connectors.premium').map((d) => d.id);
    assert.deepEqual(premium.sort(), ['hubspot', 'linkedin', 'meta', 'salesforce']);
    assert.ok(!PLANS.free.features.includes('connectors.premium'));
    assert.ok(PLANS.team.features.includes('connectors.premium'));
    assert.ok(PLANS.free.features.includes('connectors.basic'));
  });

  it('refuses a bad entry at boot, naming the entry and the field', () => {
    const broken = { ...PROVIDER_CATALOG_ENTRIES[0], tokenEndpoint: 'http://oauth2.googleapis.com/token' };
    assert.throws(() => loadProviderCatalog([broken]), /entry 0 \(google\) tokenEndpoint: must be an https:\/\/ URL/);
    const noDocs = { ...PROVIDER_CATALOG_ENTRIES[1], documentationUrl: undefined };
    assert.throws(() => loadProviderCatalog([noDocs]), /entry 0 \(microsoft\) documentationUrl/);
    assert.throws(
      () => loadProviderCatalog([PROVIDER_CATALOG_ENTRIES[2], PROVIDER_CATALOG_ENTRIES[2]]),
      /"github" is used twice/,
    );
    const badRevocation = { ...PROVIDER_CATALOG_ENTRIES[3], revocation: { kind: 'custom', method: 'telnet' } };
    assert.throws(() => loadProviderCatalog([badRevocation]), /revocation\.method/);
  });
});

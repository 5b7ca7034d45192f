// Every tenant-scoped route of the API, in one table: each role gets exactly what the
// permission matrix allows (api/auth/permissions.ts), outsiders get the same 404 as for a
// tenant that does not exist and change nothing, anonymous callers get 401. The table is
// checked against the OpenAPI document, so a new tenant route cannot be left out.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Permission } from '../../contracts/members.ts';
import { ROLE_PERMISSIONS } from '../../api/auth/permissions.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The OpenAPI path it stands for. */
  spec: string;
  path: (slug: string) => string;
  body?: () => unknown;
  permission: Permission;
  /** Answers that mean "allowed" (a 404 here is about the sub-resource, never the tenant). */
  allowed: number[];
  /** What an allowed caller's problem detail says, where `allowed` alone could be a refusal (a plan's 403). */
  allowedDetail?: RegExp;
}

const ROUTES: Route[] = [
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}',
    path: (s) => `/api/v1/tenants/${s}`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/members',
    path: (s) => `/api/v1/tenants/${s}/members`,
    permission: 'members.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/members/me',
    path: (s) => `/api/v1/tenants/${s}/members/me`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'PATCH',
    spec: '/api/v1/tenants/{slug}/members/{userId}',
    path: (s) => `/api/v1/tenants/${s}/members/${randomUUID()}`,
    body: () => ({ role: 'viewer' }),
    permission: 'members.manage',
    allowed: [404],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/members/{userId}',
    path: (s) => `/api/v1/tenants/${s}/members/${randomUUID()}`,
    permission: 'members.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/invitations',
    path: (s) => `/api/v1/tenants/${s}/invitations`,
    permission: 'members.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/invitations',
    path: (s) => `/api/v1/tenants/${s}/invitations`,
    body: () => ({ email: `${randomUUID().slice(0, 8)}@matrix.test`, role: 'viewer' }),
    permission: 'members.manage',
    allowed: [201],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/invitations/{invitationId}',
    path: (s) => `/api/v1/tenants/${s}/invitations/${randomUUID()}`,
    permission: 'members.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/api-keys',
    path: (s) => `/api/v1/tenants/${s}/api-keys`,
    permission: 'apikeys.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/api-keys',
    path: (s) => `/api/v1/tenants/${s}/api-keys`,
    body: () => ({ name: `key ${randomUUID().slice(0, 8)}`, role: 'viewer' }),
    permission: 'apikeys.manage',
    allowed: [201],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/api-keys/{keyId}',
    path: (s) => `/api/v1/tenants/${s}/api-keys/${randomUUID()}`,
    permission: 'apikeys.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/audit-log',
    path: (s) => `/api/v1/tenants/${s}/audit-log`,
    permission: 'audit.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/audit-log/export',
    path: (s) => `/api/v1/tenants/${s}/audit-log/export?format=json`,
    permission: 'audit.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/sso',
    path: (s) => `/api/v1/tenants/${s}/sso`,
    permission: 'sso.read',
    allowed: [200],
  },
  // The matrix tenant's team plan has no `sso` feature: allowed callers get past the permission
  // check to the plan's refusal, which names the plan that has it.
  {
    method: 'PUT',
    spec: '/api/v1/tenants/{slug}/sso',
    path: (s) => `/api/v1/tenants/${s}/sso`,
    body: () => ({ issuer: 'https://127.0.0.1:9/', clientId: 'matrix', clientSecret: 'matrix-secret' }),
    permission: 'sso.manage',
    allowed: [403],
    allowedDetail: /the enterprise plan does/,
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/sso',
    path: (s) => `/api/v1/tenants/${s}/sso`,
    permission: 'sso.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/sso/domains',
    path: (s) => `/api/v1/tenants/${s}/sso/domains`,
    permission: 'sso.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/sso/domains',
    path: (s) => `/api/v1/tenants/${s}/sso/domains`,
    body: () => {
      const domain = `d${randomUUID().slice(0, 8)}.matrix.test`;
      return { domain, verificationEmail: `it@${domain}` };
    },
    permission: 'sso.manage',
    allowed: [403],
    allowedDetail: /the enterprise plan does/,
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/sso/domains/{domain}',
    path: (s) => `/api/v1/tenants/${s}/sso/domains/none.matrix.test`,
    permission: 'sso.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/webhooks',
    path: (s) => `/api/v1/tenants/${s}/webhooks`,
    permission: 'webhooks.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/webhooks',
    path: (s) => `/api/v1/tenants/${s}/webhooks`,
    // Loopback (OUTBOUND_ALLOW_LOOPBACK is off): allowed callers get as far as the URL check (422).
    body: () => ({ url: 'https://127.0.0.1:9/hook', eventTypes: ['member.joined'] }),
    permission: 'webhooks.manage',
    allowed: [422],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/webhooks/{endpointId}',
    path: (s) => `/api/v1/tenants/${s}/webhooks/${randomUUID()}`,
    permission: 'webhooks.read',
    allowed: [404],
  },
  {
    method: 'PATCH',
    spec: '/api/v1/tenants/{slug}/webhooks/{endpointId}',
    path: (s) => `/api/v1/tenants/${s}/webhooks/${randomUUID()}`,
    body: () => ({ enabled: false }),
    permission: 'webhooks.manage',
    allowed: [404],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/webhooks/{endpointId}',
    path: (s) => `/api/v1/tenants/${s}/webhooks/${randomUUID()}`,
    permission: 'webhooks.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/webhooks/{endpointId}/rotate-secret',
    path: (s) => `/api/v1/tenants/${s}/webhooks/${randomUUID()}/rotate-secret`,
    body: () => ({}),
    permission: 'webhooks.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/webhooks/{endpointId}/deliveries',
    path: (s) => `/api/v1/tenants/${s}/webhooks/${randomUUID()}/deliveries`,
    permission: 'webhooks.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/webhooks/{endpointId}/replays',
    path: (s) => `/api/v1/tenants/${s}/webhooks/${randomUUID()}/replays`,
    body: () => ({ eventId: randomUUID() }),
    permission: 'webhooks.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/webhooks/{endpointId}/test',
    path: (s) => `/api/v1/tenants/${s}/webhooks/${randomUUID()}/test`,
    body: () => ({}),
    permission: 'webhooks.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/connectors/providers',
    path: (s) => `/api/v1/tenants/${s}/connectors/providers`,
    permission: 'connectors.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connectors/providers',
    path: (s) => `/api/v1/tenants/${s}/connectors/providers`,
    // Loopback (OUTBOUND_ALLOW_LOOPBACK is off): allowed callers get as far as the address check (422).
    body: () => ({
      name: 'Matrix',
      issuer: 'https://127.0.0.1:9/',
      scopes: ['openid'],
      clientId: 'matrix',
      clientSecret: 'matrix-secret',
    }),
    permission: 'connectors.manage',
    allowed: [422],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/connections',
    path: (s) => `/api/v1/tenants/${s}/connections`,
    permission: 'connectors.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connections',
    path: (s) => `/api/v1/tenants/${s}/connections`,
    // No such provider: allowed callers get as far as the provider check (422), nothing starts.
    body: () => ({ provider: 'nosuchprovider' }),
    permission: 'connectors.manage',
    allowed: [422],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}`,
    permission: 'connectors.read',
    allowed: [404],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}`,
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/reconnect',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/reconnect`,
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs`,
    permission: 'connectors.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs`,
    body: () => ({ name: 'Contacts', resourcePath: '/contacts', intervalSeconds: 3_600 }),
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs/${randomUUID()}`,
    permission: 'connectors.read',
    allowed: [404],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs/${randomUUID()}`,
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/runs',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs/${randomUUID()}/runs`,
    permission: 'connectors.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/pause',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs/${randomUUID()}/pause`,
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/resume',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs/${randomUUID()}/resume`,
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/run',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs/${randomUUID()}/run`,
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/backfill',
    path: (s) => `/api/v1/tenants/${s}/connections/${randomUUID()}/syncs/${randomUUID()}/backfill`,
    body: () => ({ start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }),
    permission: 'connectors.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/secrets',
    path: (s) => `/api/v1/tenants/${s}/secrets`,
    permission: 'secrets.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/secrets',
    path: (s) => `/api/v1/tenants/${s}/secrets`,
    // An unknown kind: allowed callers get as far as validation (422), nothing is stored.
    body: () => ({ name: 'MATRIX', kind: 'nosuchkind', value: 'matrix-value' }),
    permission: 'secrets.manage',
    allowed: [422],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}`,
    permission: 'secrets.read',
    allowed: [404],
  },
  {
    method: 'PATCH',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}`,
    body: () => ({ description: 'matrix' }),
    permission: 'secrets.manage',
    allowed: [404],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}`,
    permission: 'secrets.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/versions',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/versions`,
    permission: 'secrets.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/versions',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/versions`,
    body: () => ({ value: 'matrix-value' }),
    permission: 'secrets.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/reveal',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/reveal`,
    body: () => ({}),
    permission: 'secrets.reveal',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/plan',
    path: (s) => `/api/v1/tenants/${s}/plan`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/usage',
    path: (s) => `/api/v1/tenants/${s}/usage?granularity=day`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/reconciliations',
    path: (s) => `/api/v1/tenants/${s}/reconciliations`,
    permission: 'tenant.read',
    allowed: [200],
  },
  // No usage, so no record for that day: a 404 about the period, after the permission check.
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/reconciliations/{period}',
    path: (s) => `/api/v1/tenants/${s}/reconciliations/2026-01-15`,
    permission: 'tenant.read',
    allowed: [404],
  },
  // Local billing in this platform: no invoices, an empty list (stripe-mock: tests/integration/invoices.test.ts).
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/invoices',
    path: (s) => `/api/v1/tenants/${s}/invoices`,
    permission: 'billing.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/license',
    path: (s) => `/api/v1/tenants/${s}/license`,
    permission: 'tenant.read',
    allowed: [200],
  },
  // The matrix tenant is on the team plan: asking for it again is refused after the permission check.
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/plan-changes',
    path: (s) => `/api/v1/tenants/${s}/plan-changes`,
    body: () => ({ plan: 'team' }),
    permission: 'plan.change',
    allowed: [409],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/plan-changes/{number}/cancel',
    path: (s) => `/api/v1/tenants/${s}/plan-changes/99/cancel`,
    permission: 'plan.change',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/rotations',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/rotations`,
    permission: 'secrets.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/rotations',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/rotations`,
    body: () => ({}),
    permission: 'secrets.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/rotations/{number}',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/rotations/1`,
    permission: 'secrets.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/rotations/{number}/confirm',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/rotations/1/confirm`,
    permission: 'secrets.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/rotation-settings',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/rotation-settings`,
    permission: 'secrets.read',
    allowed: [404],
  },
  {
    method: 'PUT',
    spec: '/api/v1/tenants/{slug}/secrets/{secretId}/rotation-settings',
    path: (s) => `/api/v1/tenants/${s}/secrets/${randomUUID()}/rotation-settings`,
    body: () => ({ overlap: '1h' }),
    permission: 'secrets.manage',
    allowed: [404],
  },
  // Default rotation policies per secret kind (docs/decisions/0039): turning off a default that
  // is not set changes nothing.
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/secret-kind-policies',
    path: (s) => `/api/v1/tenants/${s}/secret-kind-policies`,
    permission: 'secrets.read',
    allowed: [200],
  },
  {
    method: 'PUT',
    spec: '/api/v1/tenants/{slug}/secret-kind-policies/{kind}',
    path: (s) => `/api/v1/tenants/${s}/secret-kind-policies/api-key`,
    body: () => ({ every: null }),
    permission: 'secrets.manage',
    allowed: [200],
  },
  // Environments (the matrix tenant starts with one: production). Owners and admins each add one,
  // which the team plan's three fit; a made-up environment is a 404 about it, never the tenant.
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/environments',
    path: (s) => `/api/v1/tenants/${s}/environments`,
    permission: 'environments.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/environments',
    path: (s) => `/api/v1/tenants/${s}/environments`,
    body: () => ({ name: `m${randomUUID().slice(0, 8)}` }),
    permission: 'environments.manage',
    allowed: [202],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/environments/{environment}',
    path: (s) => `/api/v1/tenants/${s}/environments/nowhere`,
    permission: 'environments.read',
    allowed: [404],
  },
  {
    method: 'PATCH',
    spec: '/api/v1/tenants/{slug}/environments/{environment}',
    path: (s) => `/api/v1/tenants/${s}/environments/nowhere`,
    body: () => ({ protection: { soakMinutes: 5 } }),
    permission: 'environments.manage',
    allowed: [404],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/environments/{environment}',
    path: (s) => `/api/v1/tenants/${s}/environments/nowhere`,
    permission: 'environments.manage',
    allowed: [404],
  },
  // Releases (the matrix tenant is on the team plan, which has the promotions feature).
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/releases',
    path: (s) => `/api/v1/tenants/${s}/releases`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/releases',
    path: (s) => `/api/v1/tenants/${s}/releases`,
    body: () => ({ image: `registry.test/matrix/app@sha256:${'a'.repeat(64)}`, notes: 'matrix' }),
    permission: 'releases.manage',
    allowed: [201],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/releases/{number}',
    path: (s) => `/api/v1/tenants/${s}/releases/9999`,
    permission: 'tenant.read',
    allowed: [404],
  },
  // Promotions into the matrix tenant's production environment: a made-up release is a 422 about it.
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/environments/{environment}/promotions',
    path: (s) => `/api/v1/tenants/${s}/environments/production/promotions`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/environments/{environment}/promotions',
    path: (s) => `/api/v1/tenants/${s}/environments/production/promotions`,
    body: () => ({ release: 9999 }),
    permission: 'releases.manage',
    allowed: [422],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/environments/{environment}/promotions/preview',
    path: (s) => `/api/v1/tenants/${s}/environments/production/promotions/preview?release=9999`,
    permission: 'tenant.read',
    allowed: [422],
  },
  // Platform admins only: every tenant role gets 403.
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/suspend',
    path: (s) => `/api/v1/tenants/${s}/suspend`,
    body: () => ({ reason: 'matrix check' }),
    permission: 'tenant.lifecycle',
    allowed: [202],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/resources',
    path: (s) => `/api/v1/tenants/${s}/resources`,
    permission: 'tenant.lifecycle',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/billing',
    path: (s) => `/api/v1/tenants/${s}/billing`,
    permission: 'tenant.lifecycle',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/approval',
    path: (s) => `/api/v1/tenants/${s}/approval`,
    body: () => ({ decision: 'approve' }),
    permission: 'tenant.lifecycle',
    allowed: [200],
  },
  // The tenant's database login (docs/decisions/0036): the platform's credentials, admins only.
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/database-login',
    path: (s) => `/api/v1/tenants/${s}/database-login`,
    permission: 'tenant.lifecycle',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/database-login/rotations',
    path: (s) => `/api/v1/tenants/${s}/database-login/rotations`,
    permission: 'tenant.lifecycle',
    allowed: [202, 409],
  },
  {
    method: 'PUT',
    spec: '/api/v1/tenants/{slug}/database-login/policy',
    path: (s) => `/api/v1/tenants/${s}/database-login/policy`,
    body: () => ({ every: '1ms' }),
    permission: 'tenant.lifecycle',
    allowed: [422],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/database-login/policy',
    path: (s) => `/api/v1/tenants/${s}/database-login/policy`,
    permission: 'tenant.lifecycle',
    allowed: [204],
  },
  // Approvals: any member reaches them; the request's policy says who may decide (a made-up
  // request is a 404 about the request, never the tenant).
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/approvals',
    path: (s) => `/api/v1/tenants/${s}/approvals?mine=false`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/approvals/{requestId}/approve',
    path: (s) => `/api/v1/tenants/${s}/approvals/${randomUUID()}/approve`,
    body: () => ({ comment: 'matrix check' }),
    permission: 'tenant.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/approvals/{requestId}/reject',
    path: (s) => `/api/v1/tenants/${s}/approvals/${randomUUID()}/reject`,
    body: () => ({ comment: 'matrix check' }),
    permission: 'tenant.read',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/approval-policies',
    path: (s) => `/api/v1/tenants/${s}/approval-policies`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/approval-policies/{environment}',
    path: (s) => `/api/v1/tenants/${s}/approval-policies/prod`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'PUT',
    spec: '/api/v1/tenants/{slug}/approval-policies/{environment}',
    path: (s) => `/api/v1/tenants/${s}/approval-policies/matrix`,
    body: () => ({ policy: { version: 1, rules: [{ name: 'matrix', stages: [] }] } }),
    permission: 'approvals.manage',
    allowed: [200, 201],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/approval-policies/{environment}',
    path: (s) => `/api/v1/tenants/${s}/approval-policies/none`,
    permission: 'approvals.manage',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/approval-policies/{environment}/simulate',
    path: (s) => `/api/v1/tenants/${s}/approval-policies/prod/simulate`,
    body: () => ({ policy: { version: 1, rules: [{ name: 'matrix', stages: [] }] } }),
    permission: 'approvals.manage',
    allowed: [200],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/approval-groups',
    path: (s) => `/api/v1/tenants/${s}/approval-groups`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'PUT',
    spec: '/api/v1/tenants/{slug}/approval-groups/{group}/members/{userId}',
    // Not a member of the tenant: allowed callers get as far as the membership check (422).
    path: (s) => `/api/v1/tenants/${s}/approval-groups/matrix/members/${randomUUID()}`,
    permission: 'approvals.manage',
    allowed: [422],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/approval-groups/{group}/members/{userId}',
    path: (s) => `/api/v1/tenants/${s}/approval-groups/matrix/members/${randomUUID()}`,
    permission: 'approvals.manage',
    allowed: [404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/approval-delegations',
    path: (s) => `/api/v1/tenants/${s}/approval-delegations`,
    permission: 'tenant.read',
    allowed: [200],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/approval-delegations',
    path: (s) => `/api/v1/tenants/${s}/approval-delegations`,
    // Not a member of the tenant: allowed callers get as far as the membership check (422).
    body: () => ({
      delegateId: randomUUID(),
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    }),
    permission: 'tenant.read',
    allowed: [422],
  },
  {
    method: 'DELETE',
    spec: '/api/v1/tenants/{slug}/approval-delegations/{delegationId}',
    path: (s) => `/api/v1/tenants/${s}/approval-delegations/${randomUUID()}`,
    permission: 'tenant.read',
    allowed: [404],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/reactivate',
    path: (s) => `/api/v1/tenants/${s}/reactivate`,
    body: () => ({}),
    permission: 'tenant.lifecycle',
    allowed: [202],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/offboard',
    path: (s) => `/api/v1/tenants/${s}/offboard`,
    body: () => ({ reason: 'matrix check', gracePeriod: '1h' }),
    permission: 'tenant.lifecycle',
    allowed: [202],
  },
  {
    method: 'POST',
    spec: '/api/v1/tenants/{slug}/offboard/cancel',
    path: (s) => `/api/v1/tenants/${s}/offboard/cancel`,
    body: () => ({}),
    permission: 'tenant.lifecycle',
    allowed: [202, 409],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/offboard/export',
    path: (s) => `/api/v1/tenants/${s}/offboard/export`,
    permission: 'tenant.lifecycle',
    allowed: [200, 404],
  },
  {
    method: 'GET',
    spec: '/api/v1/tenants/{slug}/offboard/report',
    path: (s) => `/api/v1/tenants/${s}/offboard/report`,
    permission: 'tenant.lifecycle',
    allowed: [200, 404],
  },
];

describe('every tenant route × every role', () => {
  let platform: Platform;
  let slug: string;
  const people: Record<string, TestUser> = {};

  before(async () => {
    platform = await startPlatform();
    const tenants: Array<{ slug: string; id: string }> = [];
    for (const prefix of ['matrix', 'elsewhere']) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        // The team plan: four members and the routes' keys and invitations fit it (not the free plan).
        json: { slug: uniqueSlug(prefix), name: prefix, plan: 'team', ownerEmail: `${prefix}@matrix.test` },
      });
      await waitForOperation(platform, created.body.operation.id);
      tenants.push(created.body.tenant);
    }
    slug = tenants[0]!.slug;
    for (const role of ['owner', 'admin', 'developer', 'viewer'] as const) {
      people[role] = await seedUser(platform.database, { email: `${role}@matrix.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenants[0]!.id,
        people[role].userId,
        role,
      ]);
    }
    people.outsider = await seedUser(platform.database, { email: 'outsider@matrix.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenants[1]!.id,
      people.outsider.userId,
    ]);
  });
  after(async () => {
    await platform?.stop();
  });

  const call = (route: Route, headers: Record<string, string>) =>
    fetch(new URL(route.path(slug), platform.baseUrl), {
      method: route.method,
      headers: { ...headers, ...(route.body ? { 'content-type': 'application/json' } : {}) },
      body: route.body ? JSON.stringify(route.body()) : undefined,
    });
  const detailOf = async (response: Response) =>
    response.headers.get('content-type')?.includes('json')
      ? (((await response.json()) as { detail?: string }).detail ?? '')
      : '';

  it('covers every tenant-scoped route of the OpenAPI document', async () => {
    const spec = await request(platform.baseUrl, 'GET', '/api/v1/openapi.json');
    const documented = Object.entries(spec.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/api/v1/tenants/{slug}'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const tested = [...new Set(ROUTES.map((r) => `${r.method} ${r.spec}`))].sort();
    assert.deepEqual(tested, documented);
  });

  it('lets each role do exactly what the permission matrix says', async () => {
    for (const role of ['owner', 'admin', 'developer', 'viewer'] as const) {
      for (const route of ROUTES) {
        const response = await call(route, people[role]!.headers);
        const detail = await detailOf(response);
        const label = `${role} ${route.method} ${route.spec}: ${response.status} ${detail}`;
        if (ROLE_PERMISSIONS[role].includes(route.permission)) {
          assert.ok(route.allowed.includes(response.status), label);
          assert.doesNotMatch(detail, /No tenant/, label);
          if (route.allowedDetail) assert.match(detail, route.allowedDetail, label);
        } else {
          assert.equal(response.status, 403, label);
        }
      }
    }
  });

  it('answers outsiders 404 as for a missing tenant on every route, and changes nothing', async () => {
    const counts = () =>
      platform.database.query(
        `SELECT (SELECT count(*) FROM memberships) AS m, (SELECT count(*) FROM invitations) AS i,
                (SELECT count(*) FROM api_keys) AS k, (SELECT count(*) FROM sso_connections) AS s,
                (SELECT count(*) FROM sso_domains) AS d, (SELECT count(*) FROM event_outbox) AS e,
                (SELECT count(*) FROM audit_log) AS a, (SELECT count(*) FROM approval_decisions) AS ad,
                (SELECT count(*) FROM tenant_secrets) AS ts, (SELECT count(*) FROM local_secrets) AS ls,
                (SELECT count(*) FROM approval_policies) AS ap, (SELECT count(*) FROM approval_group_members) AS ag,
                (SELECT count(*) FROM approval_delegations) AS adl,
                (SELECT count(*) FROM tenant_environments) AS env, (SELECT count(*) FROM releases) AS rel,
                (SELECT count(*) FROM promotions) AS pro`,
      );
    const before = await counts();
    for (const route of ROUTES) {
      const response = await call(route, people.outsider!.headers);
      const label = `${route.method} ${route.spec}`;
      assert.equal(response.status, 404, label);
      assert.match(await detailOf(response), /No tenant/, label);
    }
    assert.deepEqual(await counts(), before);
  });

  it('answers anonymous callers 401 on every route', async () => {
    for (const route of ROUTES) assert.equal((await call(route, {})).status, 401, `${route.method} ${route.spec}`);
  });
});

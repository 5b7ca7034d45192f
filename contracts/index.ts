// The wire contract of the Atrium API (/api/v1): every request body, query, path parameter
// and response as a zod schema with its inferred type, and the enums they use. The API
// validates with these schemas and builds its OpenAPI document from them; the portal and
// the tests read the API's answers through them. Pure: zod and plain data only (see
// docs/decisions/0006-wire-contracts.md), so the browser bundle can import it.
export * from './accounts.ts';
export * from './api-keys.ts';
export * from './approvals.ts';
export * from './audit-log.ts';
export * from './auth.ts';
export * from './billing.ts';
export * from './common.ts';
export * from './connectors.ts';
export * from './environments.ts';
export * from './events.ts';
export * from './health.ts';
export * from './invitations.ts';
export * from './invoices.ts';
export * from './license.ts';
export * from './members.ts';
export * from './metering.ts';
export * from './operations.ts';
export * from './operators.ts';
export * from './plans.ts';
export * from './problems.ts';
export * from './profile.ts';
export * from './secret-rotation.ts';
export * from './secrets.ts';
export * from './sso.ts';
export * from './stuck-activities.ts';
export * from './tenant-approval.ts';
export * from './tenant-offboarding.ts';
export * from './tenant-resources.ts';
export * from './tenant-suspension.ts';
export * from './tenants.ts';
export * from './usage.ts';
export * from './webhooks.ts';

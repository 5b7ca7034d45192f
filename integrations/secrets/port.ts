// The secret store port: where Atrium keeps secrets (tenant database passwords, connector
// tokens, SSO client secrets) and encrypts values with named keys, and how a tenant's
// workloads get access to their own secrets only. Adapters: vault.ts (Vault or OpenBao:
// KV v2, transit, policies and AppRole) and local.ts (the embedded default: an encrypted
// table in Atrium's own PostgreSQL).
//
// Paths are relative to the store's root (the KV mount for Vault), made of segments of
// letters, digits, `-`, `_` and `.`, separated by `/`: `tenants/acme/database`.

export interface SecretData {
  [key: string]: string;
}

export interface StoredSecret {
  data: SecretData;
  version: number;
  createdAt: Date;
}

export interface SecretMetadata {
  currentVersion: number;
  versions: Array<{ version: number; createdAt: Date }>;
}

/** What a tenant's workloads log in with to read their own secrets. */
export interface TenantAccess {
  /** The secret path prefix the tenant may use: `tenants/<slug>`. */
  pathPrefix: string;
  policyName: string;
  roleName: string;
  /** The AppRole role id (not a secret on its own). */
  roleId: string;
  /** False for the local store: it records the access but cannot enforce it. */
  enforced: boolean;
}

export interface SecretStore {
  readonly kind: 'vault' | 'local';
  /**
   * Writes a new version. With `cas`, only if the current version is exactly that
   * (0: only if the secret does not exist yet); otherwise SecretStoreError 'conflict'.
   */
  write(path: string, data: SecretData, options?: { cas?: number }): Promise<{ version: number }>;
  /** The latest version, or the one asked for; null when there is none. */
  read(path: string, options?: { version?: number }): Promise<StoredSecret | null>;
  metadata(path: string): Promise<SecretMetadata | null>;
  /** Names directly under `prefix` (sub-folders end with `/`), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes every version and the metadata. Deleting what is not there succeeds. */
  destroy(path: string): Promise<void>;
  /**
   * Destroys the named versions' data for good (the others and the metadata stay); a later
   * read of one of them is null. Destroying what is not there succeeds.
   */
  destroyVersions(path: string, versions: readonly number[]): Promise<void>;
  /** Encrypts with the named key (created on first use); the result is opaque text. */
  encrypt(keyName: string, plaintext: string): Promise<string>;
  decrypt(keyName: string, ciphertext: string): Promise<string>;
  /** Creates, if absent, a policy limited to `tenants/<slug>/` and an AppRole bound to it. */
  ensureTenantAccess(slug: string): Promise<TenantAccess>;
  /** A fresh secret id for the tenant's AppRole (hand it to the tenant's workloads only). */
  issueTenantSecretId(slug: string): Promise<{ secretId: string }>;
  /** Removes the tenant's AppRole and policy; removing what is not there succeeds. */
  removeTenantAccess(slug: string): Promise<void>;
  /** Whether the tenant's policy and AppRole exist (a teardown report's evidence). */
  describeTenantAccess(slug: string): Promise<{ policyName: string; roleName: string; policy: boolean; role: boolean }>;
  /** Checks that the store answers and accepts Atrium's credentials (readiness). */
  verify(): Promise<void>;
}

export type SecretStoreErrorReason = 'unauthorized' | 'forbidden' | 'unreachable' | 'conflict' | 'invalid' | 'failed';

/** A secret store operation failed; `retryable` says whether trying again may help. */
export class SecretStoreError extends Error {
  readonly reason: SecretStoreErrorReason;
  readonly retryable: boolean;
  constructor(reason: SecretStoreErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SecretStoreError';
    this.reason = reason;
    this.retryable = reason === 'unreachable' || reason === 'failed';
  }
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** Refuses paths that could escape their prefix or confuse the store (`..`, empty segments). */
export function checkSecretPath(path: string): string {
  const segments = path.split('/');
  if (path.length > 512 || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..'))
    throw new SecretStoreError('invalid', `"${path}" is not a valid secret path (segments of A-Z a-z 0-9 _ . -).`);
  return path;
}

/** Tenant slugs are already restricted (lowercase, digits, dashes); this names their objects. */
export function tenantSecretNames(slug: string): { pathPrefix: string; policyName: string; roleName: string } {
  checkSecretPath(slug);
  return { pathPrefix: `tenants/${slug}`, policyName: `atrium-tenant-${slug}`, roleName: `atrium-tenant-${slug}` };
}

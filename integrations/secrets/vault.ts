// The Vault adapter (node-vault), for HashiCorp Vault or OpenBao (the same HTTP API):
// secrets in a KV v2 mount, encryption through the transit engine, tenant access as an ACL
// policy plus an AppRole. Atrium authenticates with a token or with its own AppRole.
import vault from 'node-vault';
import type { SecretData, SecretMetadata, SecretStore, StoredSecret, TenantAccess } from './port.ts';
import { checkSecretPath, SecretStoreError, tenantSecretNames } from './port.ts';

export interface VaultSettings {
  address: string;
  auth: { token: string } | { roleId: string; secretId: string };
  kvMount: string;
  transitMount: string;
  /** Where the AppRole auth method is mounted (`approle`). */
  approleMount: string;
  /** Told of each AppRole login and token renewal (the API and the worker log them; tests count them). */
  onTokenEvent?: (event: VaultTokenEvent) => void;
}

/**
 * `login`: a fresh token from the AppRole; `renewed`: the token's lease was extended;
 * `refused`: Vault answered 403 (a lapsed token, or a path the policy does not allow), so
 * Atrium logged in again for one retry.
 */
export interface VaultTokenEvent {
  kind: 'login' | 'renewed' | 'refused';
  /** Seconds the token is valid from now. */
  ttlSeconds: number;
}

interface VaultAuth {
  client_token: string;
  lease_duration: number;
  renewable: boolean;
}

interface VaultResponseError extends Error {
  response?: { statusCode: number; body?: { errors?: string[] } };
  code?: string;
}

export function createVaultSecretStore(settings: VaultSettings): SecretStore {
  const client = vault({ apiVersion: 'v1', endpoint: settings.address.replace(/\/$/, '') });
  const kv = settings.kvMount;
  let loggedIn: Promise<void> | null = null;
  /**
   * The AppRole token's lease: renewed once two thirds of it have passed, before any request
   * that finds it so (an idle process renews on its next request, or logs in again if the
   * token lapsed meanwhile). When Vault will not extend it any more (the role's token_max_ttl),
   * Atrium logs in again before it ends, so no request meets an expired token.
   */
  let lease: { renewAt: number; expiresAt: number; renewable: boolean } | null = null;
  let renewing: Promise<void> | null = null;

  function adopt(auth: VaultAuth, kind: VaultTokenEvent['kind']): void {
    client.token = auth.client_token;
    const now = Date.now();
    // lease_duration 0: a token that never expires (a root-issued period-less token).
    lease =
      auth.lease_duration > 0
        ? {
            renewAt: now + (auth.lease_duration * 1000 * 2) / 3,
            expiresAt: now + auth.lease_duration * 1000,
            renewable: auth.renewable,
          }
        : null;
    settings.onTokenEvent?.({ kind, ttlSeconds: auth.lease_duration });
  }

  /** Token auth sets the token once; AppRole logs in lazily, and again after a 403. */
  function login(force = false): Promise<void> {
    if ('token' in settings.auth) {
      client.token = settings.auth.token;
      return Promise.resolve();
    }
    if (!loggedIn || force) {
      const { roleId, secretId } = settings.auth;
      loggedIn = client
        .request({
          path: `/auth/${settings.approleMount}/login`,
          method: 'POST',
          json: { role_id: roleId, secret_id: secretId },
        })
        .then((body: { auth: VaultAuth }) => adopt(body.auth, 'login'))
        .catch((error: unknown) => {
          loggedIn = null;
          throw toStoreError(error, 'logging in with VAULT_ROLE_ID / VAULT_SECRET_ID');
        });
    }
    return loggedIn;
  }

  /** Renews the AppRole token when two thirds of its lease have passed (one renewal at a time). */
  function keepTokenFresh(): Promise<void> {
    if ('token' in settings.auth || !lease || Date.now() < lease.renewAt) return Promise.resolve();
    const current = lease;
    renewing ??= (async () => {
      const wanted = current.expiresAt - current.renewAt; // a third of the lease, in ms
      if (Date.now() >= current.expiresAt || !current.renewable) return login(true);
      try {
        const body = (await client.request({ path: '/auth/token/renew-self', method: 'POST', json: {} })) as {
          auth: VaultAuth;
        };
        // Vault caps a renewal at the role's token_max_ttl: a lease too short to reach the
        // next renewal is replaced by a new login now, while the old token still works.
        if (body.auth.lease_duration * 1000 < wanted) return login(true);
        adopt(body.auth, 'renewed');
      } catch {
        await login(true);
      }
    })().finally(() => {
      renewing = null;
    });
    return renewing;
  }

  /** One request; an AppRole token that expired (403) gets one fresh login and a retry. */
  async function send<T>(method: string, path: string, json?: unknown): Promise<T> {
    await login();
    await keepTokenFresh();
    const once = () => client.request({ path, method, ...(json === undefined ? {} : { json }) }) as Promise<T>;
    try {
      return await once();
    } catch (error) {
      if (statusOf(error) !== 403 || 'token' in settings.auth) throw error;
      settings.onTokenEvent?.({ kind: 'refused', ttlSeconds: 0 });
      await login(true);
      return once();
    }
  }

  async function call<T>(method: string, path: string, what: string, json?: unknown): Promise<T> {
    try {
      return await send<T>(method, path, json);
    } catch (error) {
      throw error instanceof SecretStoreError ? error : toStoreError(error, what);
    }
  }

  /** Like call, but a 404 is an answer (null), not an error. */
  async function callOrNull<T>(method: string, path: string, what: string): Promise<T | null> {
    try {
      return await send<T>(method, path);
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error instanceof SecretStoreError ? error : toStoreError(error, what);
    }
  }

  function toStoreError(error: unknown, what: string): SecretStoreError {
    const status = statusOf(error);
    const detail = (error as VaultResponseError).response?.body?.errors?.join('; ') ?? (error as Error).message;
    const where = `Vault at ${settings.address}`;
    if (status === undefined)
      return new SecretStoreError(
        'unreachable',
        `${where} could not be reached while ${what}: ${detail}. Check VAULT_ADDR.`,
        {
          cause: error,
        },
      );
    if (status === 401)
      return new SecretStoreError(
        'unauthorized',
        `${where} refused Atrium's credentials while ${what}: check VAULT_TOKEN or the AppRole.`,
        {
          cause: error,
        },
      );
    if (status === 403)
      return new SecretStoreError(
        'forbidden',
        `${where} denied ${what} (403): Atrium's token lacks a policy allowing it (see docs/operations.md).`,
        { cause: error },
      );
    if (status === 400 && /check-and-set/.test(detail))
      return new SecretStoreError('conflict', `${where}: ${what} conflicted with a newer version (${detail}).`, {
        cause: error,
      });
    if (status >= 500)
      return new SecretStoreError('failed', `${where} failed while ${what} (${status}): ${detail}.`, { cause: error });
    return new SecretStoreError('invalid', `${where} rejected ${what} (${status}): ${detail}.`, { cause: error });
  }

  const kvPath = (kind: 'data' | 'metadata', path: string) => `/${kv}/${kind}/${checkSecretPath(path)}`;

  return {
    kind: 'vault',

    async write(path, data, options = {}) {
      const body = await call<{ data: { version: number } }>('POST', kvPath('data', path), `writing secret "${path}"`, {
        data,
        ...(options.cas === undefined ? {} : { options: { cas: options.cas } }),
      });
      return { version: body.data.version };
    },

    async read(path, options = {}): Promise<StoredSecret | null> {
      const query = options.version === undefined ? '' : `?version=${options.version}`;
      const body = await callOrNull<{
        data: { data: SecretData | null; metadata: { version: number; created_time: string; deletion_time: string } };
      }>('GET', `${kvPath('data', path)}${query}`, `reading secret "${path}"`);
      if (!body?.data.data) return null; // absent, or a deleted/destroyed version
      return {
        data: body.data.data,
        version: body.data.metadata.version,
        createdAt: new Date(body.data.metadata.created_time),
      };
    },

    async metadata(path): Promise<SecretMetadata | null> {
      const body = await callOrNull<{
        data: { current_version: number; versions: Record<string, { created_time: string }> };
      }>('GET', kvPath('metadata', path), `reading the metadata of "${path}"`);
      if (!body) return null;
      const versions = Object.entries(body.data.versions)
        .map(([version, info]) => ({ version: Number(version), createdAt: new Date(info.created_time) }))
        .sort((a, b) => a.version - b.version);
      return { currentVersion: body.data.current_version, versions };
    },

    async list(prefix) {
      const body = await callOrNull<{ data: { keys: string[] } }>(
        'LIST',
        kvPath('metadata', prefix.replace(/\/$/, '')),
        `listing secrets under "${prefix}"`,
      );
      return body ? [...body.data.keys].sort() : [];
    },

    async destroy(path) {
      await call('DELETE', kvPath('metadata', path), `deleting secret "${path}"`);
    },

    async destroyVersions(path, versions) {
      if (versions.length === 0) return;
      // KV v2's destroy removes the versions' data for good (answers 204 for absent ones too).
      await call('PUT', `/${kv}/destroy/${checkSecretPath(path)}`, `destroying versions of secret "${path}"`, {
        versions: [...versions],
      });
    },

    async encrypt(keyName, plaintext) {
      checkSecretPath(keyName);
      const body = await call<{ data: { ciphertext: string } }>(
        'POST',
        `/${settings.transitMount}/encrypt/${keyName}`,
        `encrypting with key "${keyName}"`,
        { plaintext: Buffer.from(plaintext, 'utf8').toString('base64') },
      );
      return body.data.ciphertext;
    },

    async decrypt(keyName, ciphertext) {
      checkSecretPath(keyName);
      const body = await call<{ data: { plaintext: string } }>(
        'POST',
        `/${settings.transitMount}/decrypt/${keyName}`,
        `decrypting with key "${keyName}"`,
        { ciphertext },
      );
      return Buffer.from(body.data.plaintext, 'base64').toString('utf8');
    },

    async ensureTenantAccess(slug): Promise<TenantAccess> {
      const names = tenantSecretNames(slug);
      // Writing the same policy and role again is a no-op, so this is safe to repeat.
      await call('PUT', `/sys/policies/acl/${names.policyName}`, `writing policy "${names.policyName}"`, {
        policy: tenantPolicy(kv, names.pathPrefix),
      });
      await call(
        'POST',
        `/auth/${settings.approleMount}/role/${names.roleName}`,
        `writing AppRole "${names.roleName}"`,
        {
          token_policies: [names.policyName],
          token_ttl: '1h',
          token_max_ttl: '4h',
          secret_id_ttl: '720h',
        },
      );
      const role = await call<{ data: { role_id: string } }>(
        'GET',
        `/auth/${settings.approleMount}/role/${names.roleName}/role-id`,
        `reading the role id of "${names.roleName}"`,
      );
      return { ...names, roleId: role.data.role_id, enforced: true };
    },

    async issueTenantSecretId(slug) {
      const { roleName } = tenantSecretNames(slug);
      const body = await call<{ data: { secret_id: string } }>(
        'POST',
        `/auth/${settings.approleMount}/role/${roleName}/secret-id`,
        `issuing a secret id for "${roleName}"`,
        {},
      );
      return { secretId: body.data.secret_id };
    },

    async removeTenantAccess(slug) {
      const { roleName, policyName } = tenantSecretNames(slug);
      // Both DELETEs answer 204 whether or not the object existed.
      await call('DELETE', `/auth/${settings.approleMount}/role/${roleName}`, `deleting AppRole "${roleName}"`);
      await call('DELETE', `/sys/policies/acl/${policyName}`, `deleting policy "${policyName}"`);
    },

    async describeTenantAccess(slug) {
      const { roleName, policyName } = tenantSecretNames(slug);
      const role = await callOrNull(
        'GET',
        `/auth/${settings.approleMount}/role/${roleName}`,
        `reading AppRole "${roleName}"`,
      );
      const policy = await callOrNull('GET', `/sys/policies/acl/${policyName}`, `reading policy "${policyName}"`);
      return { policyName, roleName, policy: policy !== null, role: role !== null };
    },

    async verify() {
      await call('GET', '/auth/token/lookup-self', 'checking its token');
    },
  };
}

/** Read and write under the tenant's prefix only; nothing else (Vault denies by default). */
export function tenantPolicy(kvMount: string, pathPrefix: string): string {
  return [
    `path "${kvMount}/data/${pathPrefix}/*" { capabilities = ["create", "read", "update", "delete"] }`,
    `path "${kvMount}/metadata/${pathPrefix}/*" { capabilities = ["read", "list", "delete"] }`,
    `path "${kvMount}/destroy/${pathPrefix}/*" { capabilities = ["update"] }`,
    `path "${kvMount}/metadata/${pathPrefix}" { capabilities = ["list"] }`,
  ].join('\n');
}

function statusOf(error: unknown): number | undefined {
  return (error as VaultResponseError).response?.statusCode;
}

// The local secret store, the embedded default (no Vault configured): versioned secrets in
// Atrium's own PostgreSQL, encrypted with AES-256-GCM. The 32-byte key lives in a file
// outside the database (created on first use, mode 0600), so a database dump alone reveals
// nothing. Each secret version is bound to its path and version number (GCM associated
// data), so a row copied to another path does not decrypt. Tenant access is recorded (a
// role id per tenant) but cannot be enforced: every Atrium process holds the one key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSource } from 'typeorm';
import type { SecretData, SecretMetadata, SecretStore, StoredSecret, TenantAccess } from './port.ts';
import { checkSecretPath, SecretStoreError, tenantSecretNames } from './port.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHERTEXT_PREFIX = 'atrium:v1:';

export function createLocalSecretStore({
  dataSource,
  keyFile,
}: {
  dataSource: DataSource;
  keyFile: string;
}): SecretStore {
  const masterKey = loadOrCreateKey(keyFile);
  const secretsKey = deriveKey(masterKey, 'atrium-local-secrets');

  async function versionsOf(path: string): Promise<Array<{ version: number; created_at: Date }>> {
    return dataSource.query(`SELECT version, created_at FROM local_secrets WHERE path = $1 ORDER BY version`, [path]);
  }

  return {
    kind: 'local',

    async write(path, data, options = {}) {
      checkSecretPath(path);
      return dataSource.transaction(async (db) => {
        // Writers of one path queue here, so versions are gap-free and check-and-set is exact.
        await db.query(`SELECT pg_advisory_xact_lock(hashtext('local_secrets:' || $1))`, [path]);
        const [{ current }] = await db.query<[{ current: number }]>(
          `SELECT coalesce(max(version), 0) AS current FROM local_secrets WHERE path = $1`,
          [path],
        );
        if (options.cas !== undefined && options.cas !== current)
          throw new SecretStoreError(
            'conflict',
            `Secret "${path}" is at version ${current}, not ${options.cas}: writing it conflicted with a newer version.`,
          );
        const version = current + 1;
        const ciphertext = seal(secretsKey, JSON.stringify(data), `${path}#${version}`);
        await db.query(`INSERT INTO local_secrets (path, version, ciphertext) VALUES ($1, $2, $3)`, [
          path,
          version,
          ciphertext,
        ]);
        return { version };
      });
    },

    async read(path, options = {}): Promise<StoredSecret | null> {
      checkSecretPath(path);
      const rows: Array<{ version: number; ciphertext: string; created_at: Date }> =
        options.version === undefined
          ? await dataSource.query(
              `SELECT version, ciphertext, created_at FROM local_secrets WHERE path = $1 ORDER BY version DESC LIMIT 1`,
              [path],
            )
          : await dataSource.query(
              `SELECT version, ciphertext, created_at FROM local_secrets WHERE path = $1 AND version = $2`,
              [path, options.version],
            );
      const row = rows[0];
      if (!row) return null;
      const data = JSON.parse(open(secretsKey, row.ciphertext, `${path}#${row.version}`, keyFile)) as SecretData;
      return { data, version: row.version, createdAt: row.created_at };
    },

    async metadata(path): Promise<SecretMetadata | null> {
      checkSecretPath(path);
      const versions = await versionsOf(path);
      if (versions.length === 0) return null;
      return {
        currentVersion: versions.at(-1)!.version,
        versions: versions.map((v) => ({ version: v.version, createdAt: v.created_at })),
      };
    },

    async list(prefix) {
      const base = prefix.replace(/\/$/, '');
      checkSecretPath(base);
      const rows: Array<{ path: string }> = await dataSource.query(
        `SELECT DISTINCT path FROM local_secrets WHERE starts_with(path, $1)`,
        [`${base}/`],
      );
      const names = new Set<string>();
      for (const { path } of rows) {
        const rest = path.slice(base.length + 1);
        const slash = rest.indexOf('/');
        names.add(slash === -1 ? rest : rest.slice(0, slash + 1));
      }
      return [...names].sort();
    },

    async destroy(path) {
      checkSecretPath(path);
      await dataSource.query(`DELETE FROM local_secrets WHERE path = $1`, [path]);
    },

    async destroyVersions(path, versions) {
      checkSecretPath(path);
      if (versions.length === 0) return;
      await dataSource.query(`DELETE FROM local_secrets WHERE path = $1 AND version = ANY($2::int[])`, [
        path,
        [...versions],
      ]);
    },

    // Synchronous work, but a bad key name or ciphertext must still reject the promise.
    encrypt(keyName, plaintext) {
      return new Promise((resolve) => {
        checkSecretPath(keyName);
        const key = deriveKey(masterKey, `atrium-transit:${keyName}`);
        resolve(CIPHERTEXT_PREFIX + seal(key, plaintext, keyName));
      });
    },

    decrypt(keyName, ciphertext) {
      return new Promise((resolve) => {
        checkSecretPath(keyName);
        if (!ciphertext.startsWith(CIPHERTEXT_PREFIX))
          throw new SecretStoreError('invalid', 'Not a ciphertext of the local secret store.');
        const key = deriveKey(masterKey, `atrium-transit:${keyName}`);
        resolve(open(key, ciphertext.slice(CIPHERTEXT_PREFIX.length), keyName, keyFile));
      });
    },

    async ensureTenantAccess(slug): Promise<TenantAccess> {
      const names = tenantSecretNames(slug);
      await dataSource.query(`INSERT INTO local_secret_access (slug) VALUES ($1) ON CONFLICT DO NOTHING`, [slug]);
      const [row] = await dataSource.query<[{ role_id: string }]>(
        `SELECT role_id FROM local_secret_access WHERE slug = $1`,
        [slug],
      );
      return { ...names, roleId: row.role_id, enforced: false };
    },

    async issueTenantSecretId(slug) {
      const rows: unknown[] = await dataSource.query(`SELECT 1 FROM local_secret_access WHERE slug = $1`, [slug]);
      if (rows.length === 0)
        throw new SecretStoreError('invalid', `Tenant "${slug}" has no secret access yet (ensureTenantAccess first).`);
      // Nothing checks it: the local store has no login. It only keeps the port's shape.
      return { secretId: randomBytes(24).toString('base64url') };
    },

    async removeTenantAccess(slug) {
      await dataSource.query(`DELETE FROM local_secret_access WHERE slug = $1`, [slug]);
    },

    async describeTenantAccess(slug) {
      const { policyName, roleName } = tenantSecretNames(slug);
      const rows: unknown[] = await dataSource.query(`SELECT 1 FROM local_secret_access WHERE slug = $1`, [slug]);
      // The local store keeps one row for both (it enforces nothing).
      return { policyName, roleName, policy: rows.length > 0, role: rows.length > 0 };
    },

    async verify() {
      await dataSource.query(`SELECT 1 FROM local_secrets LIMIT 1`);
    },
  };
}

/** Reads the key file, or creates it (exclusively: a second process racing to create it reads the winner's). */
function loadOrCreateKey(keyFile: string): Buffer {
  try {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, randomBytes(KEY_BYTES).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES)
    throw new Error(`SECRET_STORE_KEY_FILE ${keyFile} must hold ${KEY_BYTES} random bytes in base64.`);
  return key;
}

function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), purpose, KEY_BYTES));
}

function seal(key: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function open(key: Buffer, sealed: string, associatedData: string, keyFile: string): string {
  const raw = Buffer.from(sealed, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new SecretStoreError(
      'invalid',
      `A stored secret does not decrypt with the key in ${keyFile}: the key file was replaced, or the data was altered.`,
      { cause: error },
    );
  }
}

// Which secret store Atrium uses, read once at boot by the API and the worker. VAULT_ADDR
// selects Vault (or OpenBao) with a token or Atrium's own AppRole; without it, the local
// encrypted store in Atrium's PostgreSQL, keyed by SECRET_STORE_KEY_FILE.
import { z } from 'zod';
import { ConfigError } from './env.ts';

const MOUNT = z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be a mount path such as secret');

export const secretStoreSettings = {
  VAULT_ADDR: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
  VAULT_TOKEN: z.string().min(1).optional(),
  VAULT_ROLE_ID: z.string().min(1).optional(),
  VAULT_SECRET_ID: z.string().min(1).optional(),
  VAULT_KV_MOUNT: MOUNT.default('secret'),
  VAULT_TRANSIT_MOUNT: MOUNT.default('transit'),
  VAULT_APPROLE_MOUNT: MOUNT.default('approle'),
  SECRET_STORE_KEY_FILE: z.string().min(1).default('.data/secret-store.key'),
};

export type SecretStoreConfig =
  | {
      kind: 'vault';
      address: string;
      auth: { token: string } | { roleId: string; secretId: string };
      kvMount: string;
      transitMount: string;
      approleMount: string;
    }
  | { kind: 'local'; keyFile: string };

type SecretStoreSettings = z.output<z.ZodObject<typeof secretStoreSettings>>;

export function secretStoreConfigFrom(parsed: SecretStoreSettings): SecretStoreConfig {
  if (!parsed.VAULT_ADDR) return { kind: 'local', keyFile: parsed.SECRET_STORE_KEY_FILE };
  const appRole = parsed.VAULT_ROLE_ID !== undefined || parsed.VAULT_SECRET_ID !== undefined;
  if (parsed.VAULT_TOKEN !== undefined && appRole)
    throw new ConfigError(['VAULT_TOKEN: set either VAULT_TOKEN or VAULT_ROLE_ID + VAULT_SECRET_ID, not both']);
  let auth: { token: string } | { roleId: string; secretId: string };
  if (parsed.VAULT_TOKEN !== undefined) auth = { token: parsed.VAULT_TOKEN };
  else if (parsed.VAULT_ROLE_ID !== undefined && parsed.VAULT_SECRET_ID !== undefined)
    auth = { roleId: parsed.VAULT_ROLE_ID, secretId: parsed.VAULT_SECRET_ID };
  else
    throw new ConfigError([
      'VAULT_TOKEN: required with VAULT_ADDR (or give VAULT_ROLE_ID and VAULT_SECRET_ID to log in with an AppRole)',
    ]);
  return {
    kind: 'vault',
    address: parsed.VAULT_ADDR.replace(/\/$/, ''),
    auth,
    kvMount: parsed.VAULT_KV_MOUNT,
    transitMount: parsed.VAULT_TRANSIT_MOUNT,
    approleMount: parsed.VAULT_APPROLE_MOUNT,
  };
}

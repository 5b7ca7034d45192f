// The secrets an endpoint's deliveries are signed with at a given moment: its current one,
// and during a rotation's grace period the previous one too (the current one first). Read
// from the secret store at send time, never carried in workflow input.
import type { SecretStore } from '../secrets/port.ts';

/** What an endpoint row says about its secret (db/repositories/webhook-endpoints.ts). */
export interface EndpointSecretRef {
  id: string;
  secret_path: string;
  secret_version: number;
  previous_secret_version: number | null;
  previous_secret_expires_at: Date | null;
}

/**
 * Every secret valid at `now`, the current one first. A store that cannot be read throws (a
 * caller retries: an event is never sent unsigned, nor skipped).
 */
export async function signingSecretsOf(store: SecretStore, endpoint: EndpointSecretRef, now: Date): Promise<string[]> {
  const versions = [endpoint.secret_version];
  if (
    endpoint.previous_secret_version &&
    endpoint.previous_secret_expires_at &&
    endpoint.previous_secret_expires_at > now
  )
    versions.push(endpoint.previous_secret_version);
  const secrets: string[] = [];
  for (const version of versions) {
    let stored;
    try {
      stored = await store.read(endpoint.secret_path, { version });
    } catch (error) {
      throw new Error(
        `Cannot read the signing secret of endpoint ${endpoint.id}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const secret = stored?.data.secret;
    if (typeof secret === 'string') secrets.push(secret);
  }
  if (secrets.length === 0)
    throw new Error(`Endpoint ${endpoint.id} has no signing secret at ${endpoint.secret_path}.`);
  return secrets;
}

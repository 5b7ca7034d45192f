// Verifies a signed document (a license, a reconciliation record) in the browser, against the
// public keys Atrium publishes (GET /api/v1/license/jwks): the check runs on the tenant's
// machine with the public key, so the tenant does not have to take the server's word that a
// record is genuine. jose is loaded only when someone clicks "Verify" (it is not part of the
// page's first load). Ed25519 comes from the browser's WebCrypto (Chromium 137+, Firefox 129+,
// Safari 17+); a browser without it is told so, and pointed at the offline check instead.
import type { JSONWebKeySet } from 'jose';
import { LICENSE_JWKS_PATH } from '../../../contracts/license.ts';

export type JwsVerification =
  | { outcome: 'valid'; keyId: string; payload: unknown }
  | { outcome: 'invalid'; keyId: string | null; reason: string }
  | { outcome: 'unsupported'; reason: string };

/** Checks `jws` (compact) against the JWKS: the signature, then that its `typ` is `typ`. */
export async function verifyCompactJws(jws: string, typ: string): Promise<JwsVerification> {
  const jose = await import('jose');
  let keyId: string | null;
  try {
    keyId = jose.decodeProtectedHeader(jws).kid ?? null;
  } catch {
    return { outcome: 'invalid', keyId: null, reason: 'It is not a compact JWS.' };
  }
  const response = await fetch(LICENSE_JWKS_PATH, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`The public keys could not be read (${response.status}).`);
  const keys = jose.createLocalJWKSet((await response.json()) as JSONWebKeySet);
  try {
    const { payload, protectedHeader } = await jose.compactVerify(jws, keys, { algorithms: ['EdDSA'] });
    if (protectedHeader.typ !== typ)
      return { outcome: 'invalid', keyId, reason: `It is a ${protectedHeader.typ ?? 'untyped'} JWS, not ${typ}.` };
    return {
      outcome: 'valid',
      keyId: keyId ?? '(no kid)',
      payload: JSON.parse(new TextDecoder().decode(payload)) as unknown,
    };
  } catch (error) {
    if (error instanceof jose.errors.JOSENotSupported || (error as Error).name === 'NotSupportedError')
      return {
        outcome: 'unsupported',
        reason: 'This browser cannot check Ed25519 signatures; download the file and verify it offline.',
      };
    if (error instanceof jose.errors.JWKSNoMatchingKey)
      return { outcome: 'invalid', keyId, reason: `No published key has the id ${keyId ?? '(none)'}.` };
    if (error instanceof jose.errors.JWSSignatureVerificationFailed)
      return { outcome: 'invalid', keyId, reason: 'The signature does not match the content.' };
    return { outcome: 'invalid', keyId, reason: (error as Error).message };
  }
}

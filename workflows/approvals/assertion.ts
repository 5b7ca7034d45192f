// Approval assertions: what the API signs after it has authorised a decision, and what the
// workflow checks before it takes one (docs/decisions/0007-approval-assertions.md). Pure
// JavaScript (@noble/curves' Ed25519, no Node crypto), so it runs in the workflow sandbox;
// the API's signer (api/approvals/assertion-signer.ts) encodes exactly this format.
//
// Format: `<payload>.<signature>`, both base64url. The payload is ASCII JSON (anything
// beyond ASCII escaped as \uXXXX); the signature is Ed25519 over ASSERTION_CONTEXT + payload,
// so the bytes can never be mistaken for another Atrium signature.
import { ed25519 } from '@noble/curves/ed25519.js';
import type { ApproverRole } from './policy.ts';

export const ASSERTION_CONTEXT = 'atrium-approval-assertion/v1\n';

export interface AssertionClaims {
  v: 1;
  /** The signing key's id (a public key the workflow was given by an activity). */
  kid: string;
  /** The workflow and the approval request it is for. */
  wf: string;
  req: string;
  act: 'approve' | 'reject';
  /** The approver as the API authenticated them. */
  sub: string;
  platformAdmin: boolean;
  tenantRole: ApproverRole | null;
  groups: string[];
  /** The API request that carried it (for the audit log), or null. */
  rid: string | null;
  /**
   * Deciding in place of this absent person (a delegation the API found in force): then
   * `tenantRole`, `groups` and `platformAdmin` are the absent person's. Absent: in person.
   */
  obo?: string;
  /** Issued and expires, epoch milliseconds. */
  iat: number;
  exp: number;
}

/** A verification key: the raw 32-byte Ed25519 public key in base64url, and until when it may be used. */
export interface VerificationKey {
  kid: string;
  publicKey: string;
  /** Epoch ms after which no assertion signed with it is taken (null: until removed). */
  notAfter: number | null;
}

export interface ExpectedBinding {
  workflowId: string;
  requestId: string;
  action: 'approve' | 'reject';
}

export type AssertionCheck = { valid: true; claims: AssertionClaims } | { valid: false; reason: string };

/**
 * Checks an assertion: well formed, signed by one of `keys`, for this workflow, request and
 * action, issued no later than `now` (plus a little clock skew) and not expired.
 */
export function verifyAssertion(
  token: unknown,
  keys: readonly VerificationKey[],
  expected: ExpectedBinding,
  now: number,
): AssertionCheck {
  if (typeof token !== 'string' || token.length === 0) return invalid('no approval assertion');
  if (token.length > 8192) return invalid('the approval assertion is malformed');
  const parts = token.split('.');
  if (parts.length !== 2) return invalid('the approval assertion is malformed');
  const [payload, signature] = parts as [string, string];
  let claims: AssertionClaims;
  let signatureBytes: Uint8Array;
  try {
    claims = JSON.parse(latin1(base64UrlDecode(payload))) as AssertionClaims;
    signatureBytes = base64UrlDecode(signature);
  } catch {
    return invalid('the approval assertion is malformed');
  }
  if (!isClaims(claims)) return invalid('the approval assertion is malformed');
  const key = keys.find((candidate) => candidate.kid === claims.kid);
  if (!key) return invalid(`the approval assertion is signed with an unknown key (${claims.kid})`);
  let signed: boolean;
  try {
    signed = ed25519.verify(signatureBytes, ascii(ASSERTION_CONTEXT + payload), base64UrlDecode(key.publicKey));
  } catch {
    signed = false;
  }
  if (!signed) return invalid('the approval assertion has no valid signature');
  if (key.notAfter !== null && claims.iat > key.notAfter)
    return invalid('the approval assertion is signed with a retired key');
  if (claims.wf !== expected.workflowId) return invalid('the approval assertion is for another workflow');
  if (claims.req !== expected.requestId) return invalid('the approval assertion is for another approval request');
  if (claims.act !== expected.action)
    return invalid(`the approval assertion is for "${claims.act}", not "${expected.action}"`);
  if (claims.iat > now + CLOCK_SKEW_MS) return invalid('the approval assertion was issued in the future');
  if (claims.exp <= now) return invalid('the approval assertion has expired');
  return { valid: true, claims };
}

/**
 * The claims of an assertion, read without checking it: only for the handler of an Update its
 * validator accepted. (Validators do not run again on replay, and a replay — the replay test's
 * among them — may know the workflow by another id; what the validator accepted stands.)
 */
export function readClaims(token: string): AssertionClaims | null {
  const [payload] = token.split('.');
  try {
    const claims: unknown = JSON.parse(latin1(base64UrlDecode(payload ?? '')));
    return isClaims(claims) ? claims : null;
  } catch {
    return null;
  }
}

/** How far the API's clock may run ahead of the workflow's (its time is the workflow task's start). */
const CLOCK_SKEW_MS = 30_000;

function invalid(reason: string): AssertionCheck {
  return { valid: false, reason };
}

function isClaims(value: unknown): value is AssertionClaims {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    c.v === 1 &&
    typeof c.kid === 'string' &&
    typeof c.wf === 'string' &&
    typeof c.req === 'string' &&
    (c.act === 'approve' || c.act === 'reject') &&
    typeof c.sub === 'string' &&
    typeof c.platformAdmin === 'boolean' &&
    (c.tenantRole === null || typeof c.tenantRole === 'string') &&
    Array.isArray(c.groups) &&
    c.groups.every((group) => typeof group === 'string') &&
    (c.rid === null || typeof c.rid === 'string') &&
    (c.obo === undefined || typeof c.obo === 'string') &&
    typeof c.iat === 'number' &&
    typeof c.exp === 'number'
  );
}

/** The ASCII-only JSON the signer signs (so verifying needs no UTF-8 decoder in the sandbox). */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function base64UrlEncode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [18, 12, 6, 0].map((shift) => ALPHABET[(n >> shift) & 63]).join('');
    out += chars.slice(0, Math.min(4, bytes.length - i + 1));
  }
  return out;
}

export function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error('not base64url');
  const bytes = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text) {
    value = (value << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[index++] = (value >> bits) & 0xff;
    }
  }
  // Canonical only: unused trailing bits must be zero, so one token has one spelling.
  if ((value & ((1 << bits) - 1)) !== 0) throw new Error('not canonical base64url');
  return bytes;
}

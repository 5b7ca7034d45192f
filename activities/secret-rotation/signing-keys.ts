// rotateSigningKey's steps (docs/decisions/0030): each rewrites the access-token keyring in the
// secret store (integrations/secrets/signing-keyring.ts) with check-and-set, so a retry or a
// concurrent writer never loses a key, and each finds what an earlier attempt of the same
// rotation wrote (keys carry the rotation's id). And the check the waits repeat: which live
// API process holds which keyring version (api_processes). Private keys never leave here:
// results carry kids and versions only. Every change writes a platform audit entry; a failed
// rotation also mails the platform admins.
import { ApplicationFailure, log } from '@temporalio/activity';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { listLiveApiProcesses } from '../../db/repositories/api-processes.ts';
import { withPlatformScope } from '../../db/scope.ts';
import type { SigningKeyEntry, SigningKeyPurpose, SigningKeyring } from '../../integrations/secrets/signing-keyring.ts';
import { licensePublicJwk } from '../tenant-provisioning/license.ts';
import {
  generateSigningKeyPem,
  readSigningKeyring,
  signingKeyEntry,
  writeSigningKeyring,
} from '../../integrations/secrets/signing-keyring.ts';
import type { ApiProcessCheck } from '../../workflows/secret-rotation/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { Person } from '../shared/mail-people.ts';
import { mailPeople } from '../shared/mail-people.ts';

interface RotationRef {
  rotationId: string;
  /** The deployment's keyring (signingKeyringPath). */
  keyringPath: string;
  actor: AuditActor;
  /** What the keyring's keys sign (absent: access tokens, as before docs/decisions/0038). */
  purpose?: SigningKeyPurpose;
}

export function createSigningKeyActivities(deps: ActivityDeps) {
  const keyring = async (path: string): Promise<SigningKeyring> => {
    const read = await readSigningKeyring(deps.secretStore, path);
    // The API seeds it at boot: a worker that finds none runs beside no API process yet.
    if (!read) throw new Error('The signing keyring is not in the secret store yet (no API process has started)');
    return read;
  };
  const audit = (actor: AuditActor, action: string, kid: string, after: Record<string, unknown>) =>
    withPlatformScope(deps.dataSource, (db) =>
      appendAuditEntry(db, { tenantId: null, actor, action, targetType: 'signing_key', targetId: kid, after }),
    );
  /**
   * A license key is published in license_signing_keys (the license JWKS) before it signs, and
   * stays there for good (docs/decisions/0038). Create-if-absent: safe to repeat.
   */
  const publishLicenseKey = (entry: SigningKeyEntry) =>
    licensePublicJwk(entry.privateKeyPem).then((jwk) =>
      withPlatformScope(deps.dataSource, (db) =>
        db.query(
          `INSERT INTO license_signing_keys (key_id, public_jwk) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING`,
          [entry.kid, JSON.stringify(jwk)],
        ),
      ),
    );
  /** Whether this rotation already wrote a platform audit entry of `action` (alerts go out once). */
  const auditedRotation = (rotationId: string, action: string) =>
    withPlatformScope(deps.dataSource, async (db) => {
      const rows = await db.query<unknown[]>(
        `SELECT 1 FROM audit_log WHERE tenant_id IS NULL AND action = $1 AND after->>'rotationId' = $2 LIMIT 1`,
        [action, rotationId],
      );
      return rows.length > 0;
    });
  const summary = (keys: SigningKeyEntry[]) => keys.map((key) => ({ kid: key.kid, state: key.state }));

  return {
    /**
     * Makes a new key and adds it as `next` (published, verifying, not signing). Refused while
     * another rotation's key is still next or retiring: one rotation at a time. A license key is
     * also published in the license JWKS. Retry-safe: the key carries the rotation's id, so a
     * retry finds it (and publishes it again, create-if-absent); writes use check-and-set.
     */
    async publishNextSigningKey(
      input: RotationRef,
    ): Promise<{ kid: string; keyringVersion: number; currentKid: string }> {
      const read = await keyring(input.keyringPath);
      const current = read.keys.find((key) => key.state === 'current')!;
      const own = read.keys.find((key) => key.rotationId === input.rotationId);
      if (own) {
        if (input.purpose === 'licenses') {
          await publishLicenseKey(current);
          await publishLicenseKey(own);
        }
        return { kid: own.kid, keyringVersion: read.version, currentKid: current.kid };
      }
      const other = read.keys.find((key) => key.state !== 'current');
      if (other)
        throw ApplicationFailure.nonRetryable(
          `Another rotation is under way: key ${other.kid} is ${other.state}.`,
          'SigningKeyRotationBusy',
        );
      const entry = await signingKeyEntry(generateSigningKeyPem(), 'next', input.rotationId);
      if (input.purpose === 'licenses') {
        // The current key too: it may never have signed a license yet, and must stay verifiable.
        await publishLicenseKey(current);
        await publishLicenseKey(entry);
      }
      const written = await writeSigningKeyring(deps.secretStore, input.keyringPath, read.version, [
        ...read.keys,
        entry,
      ]);
      await audit(input.actor, 'signing_key.published', entry.kid, {
        rotationId: input.rotationId,
        purpose: input.purpose ?? 'access-tokens',
        keyringVersion: written.version,
        keys: summary(written.keys),
      });
      return { kid: entry.kid, keyringVersion: written.version, currentKid: current.kid };
    },

    /** Which live API processes report at least `keyringVersion` (and which do not yet). */
    async checkApiProcesses(input: { keyringVersion: number; liveWithinMs: number }): Promise<ApiProcessCheck> {
      const rows = await withPlatformScope(deps.dataSource, (db) => listLiveApiProcesses(db, input.liveWithinMs));
      const processes = rows.map((row) => ({
        id: row.id,
        hostname: row.hostname,
        pid: row.pid,
        keyringVersion: row.keyring_version,
        signingKid: row.signing_kid,
      }));
      return {
        keyringVersion: input.keyringVersion,
        processes,
        behind: processes.filter((p) => p.keyringVersion < input.keyringVersion).map((p) => p.id),
        checkedAt: new Date().toISOString(),
      };
    },

    /** The new key signs from now on; the old one is retiring (still published and verifying). */
    async switchSigningKey(
      input: RotationRef & { kid: string; oldKid: string; tokenLifetimeMs: number },
    ): Promise<{ keyringVersion: number }> {
      const read = await keyring(input.keyringPath);
      const next = read.keys.find((key) => key.kid === input.kid);
      if (next?.state === 'current') return { keyringVersion: read.version };
      const old = read.keys.find((key) => key.kid === input.oldKid);
      if (!next || next.state !== 'next' || !old || old.state !== 'current')
        throw ApplicationFailure.nonRetryable(
          `The keyring changed under the rotation: ${JSON.stringify(summary(read.keys))}.`,
          'SigningKeyringChanged',
        );
      // When the last token the old key may sign expires, if every process switches now; the
      // workflow removes it only after every process reported the switch and that long again.
      const notAfter = new Date(Date.now() + input.tokenLifetimeMs).toISOString();
      const keys = read.keys.map((key): SigningKeyEntry => {
        if (key.kid === input.kid) return { ...key, state: 'current' };
        if (key.kid === input.oldKid) return { ...key, state: 'retiring', notAfter };
        return key;
      });
      const written = await writeSigningKeyring(deps.secretStore, input.keyringPath, read.version, keys);
      await audit(input.actor, 'signing_key.switched', input.kid, {
        rotationId: input.rotationId,
        purpose: input.purpose ?? 'access-tokens',
        retiring: input.oldKid,
        keyringVersion: written.version,
        keys: summary(written.keys),
      });
      return { keyringVersion: written.version };
    },

    /** Removes the retiring key once every token it signed has expired. */
    async removeRetiredSigningKey(input: RotationRef & { kid: string }): Promise<{ keyringVersion: number }> {
      const read = await keyring(input.keyringPath);
      const old = read.keys.find((key) => key.kid === input.kid);
      if (!old) return { keyringVersion: read.version };
      if (old.state !== 'retiring')
        throw ApplicationFailure.nonRetryable(
          `Key ${input.kid} is ${old.state}, not retiring.`,
          'SigningKeyringChanged',
        );
      const written = await writeSigningKeyring(
        deps.secretStore,
        input.keyringPath,
        read.version,
        read.keys.filter((key) => key.kid !== input.kid),
      );
      await audit(input.actor, 'signing_key.removed', input.kid, {
        rotationId: input.rotationId,
        purpose: input.purpose ?? 'access-tokens',
        keyringVersion: written.version,
        keys: summary(written.keys),
      });
      return { keyringVersion: written.version };
    },

    /**
     * The roll-back: the new key never reached every process in time, so it is taken out again
     * (it never signed; the old key stays current and valid) and the failure is an alert: an
     * audit entry, the worker's log, and a mail to every platform admin. No event: the outbox
     * holds a tenant's events for its webhooks, and a signing key is the platform's, no
     * tenant's. Retry-safe: the alert is audited once, and the mail goes out until an audit
     * entry records it, with fixed Message-IDs (a repeat is the same message).
     */
    async withdrawNextSigningKey(
      input: RotationRef & { kid: string; reason: string },
    ): Promise<{ keyringVersion: number }> {
      const read = await keyring(input.keyringPath);
      const next = read.keys.find((key) => key.kid === input.kid);
      let version = read.version;
      if (next) {
        if (next.state !== 'next')
          throw ApplicationFailure.nonRetryable(
            `Key ${input.kid} is ${next.state}: not withdrawn.`,
            'SigningKeyringChanged',
          );
        version = (
          await writeSigningKeyring(
            deps.secretStore,
            input.keyringPath,
            read.version,
            read.keys.filter((key) => key.kid !== input.kid),
          )
        ).version;
      }
      const purpose = input.purpose ?? 'access-tokens';
      if (!(await auditedRotation(input.rotationId, 'signing_key.rotation_failed'))) {
        await audit(input.actor, 'signing_key.rotation_failed', input.kid, {
          rotationId: input.rotationId,
          purpose,
          reason: input.reason,
          keyringVersion: version,
        });
        log.error('Signing-key rotation failed: the new key was withdrawn', {
          rotationId: input.rotationId,
          kid: input.kid,
          reason: input.reason,
        });
      }
      if (!(await auditedRotation(input.rotationId, 'signing_key.rotation_mailed'))) {
        const current = read.keys.find((key) => key.state === 'current')?.kid ?? 'unknown';
        const admins = await withPlatformScope(deps.dataSource, (db) =>
          db.query<Person[]>(`SELECT id AS user_id, email FROM users WHERE is_platform_admin ORDER BY email`),
        );
        const { recipients, refused } = await mailPeople(deps.mailer, admins, (admin) => ({
          to: admin.email,
          subject: `Signing-key rotation failed (${purpose})`,
          text: [
            `The rotation ${input.rotationId} of the ${purpose} signing key failed: ${input.reason}`,
            '',
            `The new key ${input.kid} was withdrawn before it signed anything. The key in use before`,
            `(${current}) is current again and still valid; nothing it signed is refused.`,
            'Find the API process that did not take the new key (GET /api/v1/admin/signing-keys),',
            'then start the rotation again.',
            '',
            '— Atrium',
          ].join('\n'),
          messageId: `signing-key-rotation.failed.${input.rotationId}.${admin.user_id}@atrium`,
        }));
        await audit(input.actor, 'signing_key.rotation_mailed', input.kid, {
          rotationId: input.rotationId,
          purpose,
          recipients,
          refused,
        });
      }
      return { keyringVersion: version };
    },
  };
}

// Access-token signing-key rotation (docs/decisions/0030) through the whole platform: two real
// API processes on one database and one secret store (the local encrypted store), the worker,
// the Temporal dev server. Clients sign in on either process and call both continuously, with
// tokens issued before, during and after the rotation, each used until just before it expires:
//
// - not one valid token is refused (no 401, no other failure);
// - both processes' JWKS show the old and the new key during the window, only the new after;
// - the rotation's report names both processes at each wait; the audit log has every step;
// - no private key appears in the workflow's history;
// - a process that reports but never takes the new key (a stale api_processes row kept fresh)
//   makes the rotation withdraw the new key before it signs: the keyring is as before, the
//   alert is in the audit log and in every platform admin's mail (once);
// - only platform admins see the keys or start a rotation; one rotation at a time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { SigningKeysOverview } from '../../contracts/secret-rotation.ts';
import type { RotateSigningKeyResult } from '../../workflows/secret-rotation/contract.ts';
import { ApiClient, request } from '../support/api-client.ts';
import { historyText } from '../support/connectors.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import { waitFor } from '../support/wait-for.ts';

const ACCESS_TOKEN_TTL_S = 6;

interface Call {
  at: number;
  issuer: 'A' | 'B';
  target: 'A' | 'B';
  kid: string;
  status: number;
  expiresAt: number;
}

describe('signing-key rotation', () => {
  let platform: Platform;
  const urls: Record<'A' | 'B', string> = { A: '', B: '' };
  let member: TestUser;
  let smtp: SmtpCapture;

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: {
        SMTP_URL: smtp.url,
        ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_TTL_S}s`,
        SIGNING_KEYS_RELOAD_INTERVAL: '500ms',
        SIGNING_KEY_DISTRIBUTION_TIMEOUT: '5s',
        JWKS_MAX_AGE: '1s',
        LOGIN_RATE_LIMIT: '10000',
      },
    });
    urls.A = platform.baseUrl;
    urls.B = (await platform.startApi()).baseUrl;
    member = await seedUser(platform.database, { email: 'member@signing-keys.test' });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  const login = async (on: 'A' | 'B', user: TestUser) => {
    const answer = await request(urls[on], 'POST', '/api/v1/auth/login', {
      json: { email: user.email, password: user.password },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.accessToken as string;
  };
  const adminHeaders = async (on: 'A' | 'B') => ({ authorization: `Bearer ${await login(on, platform.admin)}` });
  const jwksKids = async (on: 'A' | 'B') => {
    const answer = await request(urls[on], 'GET', '/.well-known/jwks.json');
    assert.equal(answer.status, 200);
    return (answer.body.keys as Array<{ kid: string }>).map((key) => key.kid).sort();
  };

  it('rotates with two API processes while clients call both: no valid token refused', async () => {
    const initial = await request<SigningKeysOverview>(urls.A, 'GET', '/api/v1/admin/signing-keys', {
      headers: await adminHeaders('A'),
    });
    assert.equal(initial.status, 200, JSON.stringify(initial.body));
    assert.equal(initial.body.keys.length, 1);
    const oldKid = initial.body.keys[0]!.kid;
    assert.equal(initial.body.keys[0]!.state, 'current');
    assert.equal(initial.body.processes.length, 2, 'both API processes report');
    assert.deepEqual(await jwksKids('A'), [oldKid]);
    assert.deepEqual(await jwksKids('B'), [oldKid]);

    // Clients: each signs in on one process (alternately), calls both with that token until a
    // second and a half before it expires, then signs in again.
    const calls: Call[] = [];
    let running = true;
    const client = async (index: number) => {
      let round = 0;
      while (running) {
        const issuer = (index + round) % 2 === 0 ? 'A' : 'B';
        round += 1;
        const token = await login(issuer, member);
        const kid = decodeProtectedHeader(token).kid as string;
        const expiresAt = decodeJwt(token).exp! * 1000;
        while (running && Date.now() < expiresAt - 1_500) {
          for (const target of ['A', 'B'] as const) {
            const response = await fetch(new URL('/api/v1/me', urls[target]), {
              headers: { authorization: `Bearer ${token}` },
            });
            await response.arrayBuffer();
            calls.push({ at: Date.now(), issuer, target, kid, status: response.status, expiresAt });
          }
          await sleep(50);
        }
      }
    };
    // Both processes' JWKS, every 200 ms, for the whole run.
    const jwksSeen: Array<{ at: number; A: string[]; B: string[] }> = [];
    const watchJwks = async () => {
      while (running) {
        // Stamped before the reads: a read stamped after the rotation's end also started after it.
        const at = Date.now();
        jwksSeen.push({ at, A: await jwksKids('A'), B: await jwksKids('B') });
        await sleep(200);
      }
    };
    const clients = [0, 1, 2, 3].map((index) => client(index));
    const watcher = watchJwks();

    await sleep(3_000); // before
    const startedAt = Date.now();
    const started = await request(urls.B, 'POST', '/api/v1/admin/signing-keys/rotations', {
      headers: await adminHeaders('B'),
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const workflowId = started.body.workflowId as string;
    assert.match(workflowId, new RegExp(`^signing-key-rotate/${platform.taskQueue}/`));

    // One at a time: a second rotation during the window is refused, and nothing changes. (Once
    // the new key is published: on a loaded machine its first step may take longer than a second.)
    await waitFor('the new key published', async () => {
      const keys = await request<SigningKeysOverview>(urls.A, 'GET', '/api/v1/admin/signing-keys', {
        headers: await adminHeaders('A'),
      });
      return keys.body.keys.some((key) => key.state !== 'current') ? true : undefined;
    });
    const second = await request(urls.A, 'POST', '/api/v1/admin/signing-keys/rotations', {
      headers: await adminHeaders('A'),
    });
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.match(second.body.detail, /under way/);

    const result = (await platform.temporal.workflow.getHandle(workflowId).result()) as RotateSigningKeyResult;
    const endedAt = Date.now();
    await sleep(ACCESS_TOKEN_TTL_S * 1000 + 2_000); // after: tokens issued by the new key only
    running = false;
    await Promise.all([...clients, watcher]);

    assert.equal(result.outcome, 'completed', JSON.stringify(result.progress));
    assert.equal(result.oldKid, oldKid);
    const newKid = result.newKid!;
    assert.notEqual(newKid, oldKid);

    // Not one valid token refused, by either process, whoever issued it.
    const refused = calls.filter((call) => call.status !== 200);
    assert.deepEqual(refused, [], `${refused.length} of ${calls.length} calls refused`);
    assert.ok(calls.every((call) => call.at < call.expiresAt));
    const phases = {
      before: calls.filter((call) => call.at < startedAt),
      during: calls.filter((call) => call.at >= startedAt && call.at <= endedAt),
      after: calls.filter((call) => call.at > endedAt),
    };
    for (const [phase, list] of Object.entries(phases)) assert.ok(list.length > 20, `${phase}: ${list.length} calls`);
    const during = phases.during;
    for (const kid of [oldKid, newKid])
      for (const target of ['A', 'B'] as const)
        for (const issuer of ['A', 'B'] as const)
          assert.ok(
            during.some((call) => call.kid === kid && call.target === target && call.issuer === issuer),
            `during the window, a token of ${kid === oldKid ? 'the old' : 'the new'} key issued by ${issuer} was used on ${target}`,
          );
    assert.ok(phases.before.every((call) => call.kid === oldKid));
    // The old key went only after every token it signed had expired.
    assert.ok(phases.after.every((call) => call.kid === newKid));

    // The JWKS: both keys on both processes during the window, never without the signing key,
    // only the new one after it.
    const both = [oldKid, newKid].sort();
    assert.ok(
      jwksSeen.some((seen) => seen.at >= startedAt && seen.at <= endedAt && String(seen.A) === String(both)),
      'A published both keys during the window',
    );
    assert.ok(
      jwksSeen.some((seen) => seen.at >= startedAt && seen.at <= endedAt && String(seen.B) === String(both)),
      'B published both keys during the window',
    );
    for (const seen of jwksSeen) {
      for (const on of ['A', 'B'] as const) {
        assert.ok(seen[on].length > 0 && seen[on].length <= 2, JSON.stringify(seen));
        assert.ok(
          seen[on].every((kid) => kid === oldKid || kid === newKid),
          JSON.stringify(seen),
        );
      }
    }
    for (const seen of jwksSeen.filter((s) => s.at > endedAt)) {
      assert.deepEqual(seen.A, [newKid]);
      assert.deepEqual(seen.B, [newKid]);
    }
    assert.deepEqual(await jwksKids('A'), [newKid]);
    assert.deepEqual(await jwksKids('B'), [newKid]);

    // The report: both processes checked at each wait.
    for (const wait of ['publish', 'switch', 'remove'] as const) {
      const check = result.checks[wait]!;
      assert.equal(check.processes.length, 2, `${wait}: ${JSON.stringify(check)}`);
      assert.deepEqual(check.behind, []);
      assert.ok(check.processes.every((p) => p.keyringVersion >= check.keyringVersion));
    }
    assert.ok(result.checks.switch!.processes.every((p) => p.signingKid === newKid));
    assert.deepEqual(
      result.progress.steps.map((step) => step.status),
      ['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed'],
    );

    // The operation view (platform admins): the same steps, from either process.
    const operation = await new ApiClient(urls.B, await adminHeaders('A')).getOperation(workflowId);
    assert.ok(operation.ok, JSON.stringify(operation));
    assert.equal(operation.body.kind, 'signing-key-rotate');
    assert.equal(operation.body.status, 'completed');
    assert.deepEqual(
      operation.body.steps.map((step) => step.name),
      ['publish', 'distribute', 'switch', 'confirm', 'expire', 'remove', 'settle'],
    );

    const overview = await request<SigningKeysOverview>(urls.B, 'GET', '/api/v1/admin/signing-keys', {
      headers: await adminHeaders('B'),
    });
    assert.deepEqual(
      overview.body.keys.map((key) => [key.kid, key.state]),
      [[newKid, 'current']],
    );
    assert.ok(overview.body.processes.every((p) => p.signingKid === newKid && String(p.kids) === newKid));

    const audit = await platform.database.query<{ action: string; target_id: string }>(
      `SELECT action, target_id FROM audit_log WHERE action LIKE 'signing_key.%' ORDER BY id`,
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      ['signing_key.rotation_started', 'signing_key.published', 'signing_key.switched', 'signing_key.removed'],
    );

    const history = await historyText(platform.temporal, workflowId);
    assert.doesNotMatch(history, /PRIVATE KEY/, 'no private key in the workflow history');
    await recordHistory(platform.temporal, workflowId, 'rotate-signing-key-completed');

    // The admin token seedUser made (signed with the old key) is refused now: the old key is gone.
    const stale = await request(urls.A, 'GET', '/api/v1/me', { headers: platform.admin.headers });
    assert.equal(stale.status, 401);
  });

  it('withdraws a new key that a live process never takes, before it signs, and alerts', async () => {
    const headers = await adminHeaders('A');
    const before = await request<SigningKeysOverview>(urls.A, 'GET', '/api/v1/admin/signing-keys', { headers });
    const currentKid = before.body.keys[0]!.kid;
    // A "process" that keeps reporting the keyring version it has, and never rereads it.
    const stuck = randomUUID();
    await platform.database.query(
      `INSERT INTO api_processes (id, hostname, pid, keyring_version, signing_kid, kids)
       VALUES ($1, 'stuck.test', 1, $2, $3, ARRAY[$3])`,
      [stuck, before.body.keyringVersion, currentKid],
    );
    let reporting = true;
    const keepReporting = (async () => {
      while (reporting) {
        await platform.database.query(`UPDATE api_processes SET last_seen_at = now() WHERE id = $1`, [stuck]);
        await sleep(200);
      }
    })();
    try {
      const started = await request(urls.A, 'POST', '/api/v1/admin/signing-keys/rotations', { headers });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const workflowId = started.body.workflowId as string;
      const result = (await platform.temporal.workflow.getHandle(workflowId).result()) as RotateSigningKeyResult;
      assert.equal(result.outcome, 'withdrawn', JSON.stringify(result.progress));
      assert.equal(result.progress.phase, 'failed');
      assert.match(result.progress.error ?? '', /withdrawn/);
      const distribute = result.progress.steps.find((step) => step.name === 'distribute')!;
      assert.equal(distribute.status, 'failed');

      const afterwards = await request<SigningKeysOverview>(urls.B, 'GET', '/api/v1/admin/signing-keys', {
        headers,
      });
      assert.deepEqual(
        afterwards.body.keys.map((key) => [key.kid, key.state]),
        [[currentKid, 'current']],
      );
      await sleep(1_500); // both processes reread the keyring
      assert.deepEqual(await jwksKids('A'), [currentKid]);
      assert.deepEqual(await jwksKids('B'), [currentKid]);
      // The key that was never used to sign is gone; tokens of the current key still work.
      assert.equal((await request(urls.B, 'GET', '/api/v1/me', { headers })).status, 200);

      const alert = await platform.database.query<{ target_id: string; after: { reason: string } }>(
        `SELECT target_id, after FROM audit_log WHERE action = 'signing_key.rotation_failed'`,
      );
      assert.equal(alert.length, 1);
      assert.equal(alert[0]!.target_id, result.newKid);
      assert.match(alert[0]!.after.reason, /withdrawn/);
      // Every platform admin is mailed, once, with the reason and the key that stays current.
      const mail = await smtp.waitForMail(
        (m) => m.to.includes(platform.admin.email) && /Signing-key rotation failed/.test(m.subject),
      );
      assert.ok(mail.text.includes(`(${currentKid}) is current again`), mail.text);
      assert.match(mail.text, /withdrawn/);
      assert.equal(smtp.mailsTo(platform.admin.email).filter((m) => /Signing-key/.test(m.subject)).length, 1);
      const mailed = await platform.database.query<{ after: { recipients: string[] } }>(
        `SELECT after FROM audit_log WHERE action = 'signing_key.rotation_mailed'`,
      );
      assert.deepEqual(
        mailed.map((row) => row.after.recipients),
        [[platform.admin.email]],
      );
      // No event: the outbox holds tenants' events, and a signing key is no tenant's.
      const events = await platform.database.query(`SELECT 1 FROM event_outbox WHERE type LIKE 'signing_key.%'`);
      assert.equal(events.length, 0);
      await recordHistory(platform.temporal, workflowId, 'rotate-signing-key-withdrawn');
    } finally {
      reporting = false;
      await keepReporting;
      await platform.database.query(`DELETE FROM api_processes WHERE id = $1`, [stuck]);
    }
  });

  it('lets only platform admins see the keys or rotate them', async () => {
    const memberHeaders = { authorization: `Bearer ${await login('A', member)}` };
    for (const [method, path] of [
      ['GET', '/api/v1/admin/signing-keys'],
      ['POST', '/api/v1/admin/signing-keys/rotations'],
    ] as const) {
      assert.equal((await request(urls.A, method, path, {})).status, 401, `${method} ${path} anonymous`);
      const refused = await request(urls.A, method, path, { headers: memberHeaders });
      assert.equal(refused.status, 403, `${method} ${path} member`);
      assert.match(refused.headers.get('content-type') ?? '', /problem\+json/);
    }
    const rotations = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'signing_key.rotation_started'`,
    );
    assert.equal(rotations[0]!.n, 2, 'the refused calls started nothing');
  });
});

// The tenant secrets suite, run once per secret store (tests/integration/tenant-secrets.test.ts
// with the local encrypted store, tenant-secrets-vault.test.ts with OpenBao): create, new
// version, audited reveal, retention of replaced and deleted values, delete; a rotation policy
// changed and removed by PATCH, its Temporal Schedule following (GET shows its next due times); bad input and
// other tenants' callers change nothing; no value it created appears in any answer but a
// reveal's, in the audit log, or in the API's or worker's log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { Problem } from '../../contracts/problems.ts';
import { RevealedSecret, Secret, SecretDetail, SecretList, SecretVersionList } from '../../contracts/secrets.ts';
import { createVaultSecretStore } from '../../integrations/secrets/vault.ts';
import { rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { ApiClient, expectOk, expectProblem, uniqueSlug, waitForOperation } from './api-client.ts';
import { assertNoSecrets } from './connectors.ts';
import type { Platform, TestUser } from './platform.ts';
import { seedUser, startPlatform } from './platform.ts';
import { vaultServer, workerEnvFor } from './servers.ts';
import { waitFor } from './wait-for.ts';

const RETENTION_MS = 3_000;

export function tenantSecretsSuite(store: 'local' | 'vault'): void {
  describe(`tenant secrets (${store} secret store)`, () => {
    let platform: Platform;
    const people: Record<'owner' | 'developer' | 'viewer' | 'outsider' | 'freeOwner', TestUser> = {} as never;
    const tenant = { id: '', slug: '' };
    const freeTenant = { id: '', slug: '' };
    /** Every value this suite sets, and every answer body that must not hold one. */
    const values: Record<string, string> = {};
    const answers: string[] = [];
    const newValue = (label: string) => {
      const value = `sv-${label}-${randomBytes(12).toString('base64url')}`;
      values[label] = value;
      return value;
    };

    /** The store versions of a path that still hold a value. */
    let versionsInStore: (path: string) => Promise<number[]>;

    before(async () => {
      platform = await startPlatform({
        env: {
          ...(store === 'vault' ? workerEnvFor({ vault: true }) : {}),
          SECRET_VERSION_RETENTION: `${RETENTION_MS}ms`,
          SECRET_ROTATION_MINIMUM: '10s',
          SECRET_RETENTION_SWEEP_INTERVAL: '1s',
        },
      });
      if (store === 'vault') {
        const { address, rootToken } = vaultServer();
        const vault = createVaultSecretStore({
          address,
          auth: { token: rootToken },
          kvMount: 'secret',
          transitMount: 'transit',
          approleMount: 'approle',
        });
        versionsInStore = async (path) => {
          const metadata = await vault.metadata(path);
          if (!metadata) return [];
          const present: number[] = [];
          for (const { version } of metadata.versions)
            if ((await vault.read(path, { version })) !== null) present.push(version);
          return present;
        };
      } else {
        versionsInStore = async (path) =>
          (
            await platform.database.query<{ version: number }>(
              `SELECT version FROM local_secrets WHERE path = $1 ORDER BY version`,
              [path],
            )
          ).map((row) => row.version);
      }
      const admin = new ApiClient(platform.baseUrl, platform.admin.headers);
      for (const [target, plan, prefix] of [
        [tenant, 'team', 'secrets'],
        [freeTenant, 'free', 'secrets-free'],
      ] as const) {
        const created = expectOk(
          await admin.createTenant({
            slug: uniqueSlug(prefix),
            name: prefix,
            plan,
            ownerEmail: `${prefix}@secrets.test`,
          }),
        );
        await waitForOperation(platform, created.operation.id);
        target.id = created.tenant.id;
        target.slug = created.tenant.slug;
      }
      for (const [key, role, target] of [
        ['owner', 'owner', tenant],
        ['developer', 'developer', tenant],
        ['viewer', 'viewer', tenant],
        ['outsider', 'owner', freeTenant],
        ['freeOwner', 'owner', freeTenant],
      ] as const) {
        people[key] = await seedUser(platform.database, { email: `${key}-${store}@secrets.test` });
        await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
          target.id,
          people[key].userId,
          role,
        ]);
      }
    });
    after(async () => {
      await platform?.stop();
    });

    const as = (person: TestUser) => new ApiClient(platform.baseUrl, person.headers);
    const base = () => `/api/v1/tenants/${tenant.slug}/secrets`;
    /** Sends a request and keeps the raw answer for the scan (reveals are kept apart). */
    async function call<S extends z.ZodType>(
      person: TestUser,
      schema: S,
      method: string,
      path: string,
      json?: unknown,
      options: { reveal?: boolean } = {},
    ) {
      const answer = await as(person).send(schema, method, path, json === undefined ? {} : { json });
      if (!options.reveal) answers.push(JSON.stringify(answer.ok ? answer.body : answer.problem));
      return answer;
    }
    const fieldsOf = (problem: Problem) => (problem.errors ?? []).map((error) => error.path);
    const counts = async () =>
      (
        await platform.database.query(
          `SELECT (SELECT count(*) FROM tenant_secrets)::int AS secrets,
                  (SELECT count(*) FROM tenant_secret_versions)::int AS versions,
                  (SELECT count(*) FROM audit_log WHERE action LIKE 'secret.%')::int AS audit`,
        )
      )[0];

    let secretId = '';
    let storePath = '';

    it('creates a secret: metadata in PostgreSQL, the value in the store under the tenant, audited', async () => {
      const created = expectOk(
        await call(people.owner, Secret, 'POST', base(), {
          name: 'STRIPE_API_KEY',
          kind: 'api-key',
          // Not production: changes and reveals happen at once (production's wait for an
          // approval: tests/integration/secret-approvals.test.ts).
          environment: 'staging',
          description: 'Payments',
          value: newValue('first'),
          consumers: ['deployment/web', 'job/invoices'],
          rotationPolicy: { every: '30d' },
        }),
        201,
      );
      secretId = created.id;
      storePath = `tenants/${tenant.slug}/secrets/${secretId}`;
      assert.equal(created.version, 1);
      assert.deepEqual(created.rotationPolicy, { everySeconds: 30 * 86_400, every: '30d' });
      assert.ok(created.nextRotationAt && Date.parse(created.nextRotationAt) > Date.now() + 29 * 86_400_000);
      assert.deepEqual(await versionsInStore(storePath), [1]);
      if (store === 'vault') {
        const [local] = await platform.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM local_secrets`);
        assert.equal(local!.n, 0, 'nothing went to the local store');
      }
      const [row] = await platform.database.query<Record<string, unknown>>(
        `SELECT to_jsonb(s) AS row FROM tenant_secrets s WHERE id = $1`,
        [secretId],
      );
      assert.ok(!JSON.stringify(row).includes(values.first!), 'no value in the metadata row');
      const list = expectOk(await call(people.viewer, SecretList, 'GET', base()));
      assert.deepEqual(
        list.items.map((item) => item.name),
        ['STRIPE_API_KEY'],
      );
      const audit = await platform.database.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id`,
        [secretId],
      );
      assert.deepEqual(
        audit.map((entry) => entry.action),
        ['secret.created'],
      );
    });

    it('refuses bad input naming the field, and changes nothing', async () => {
      const before = await counts();
      const refused = async (body: Record<string, unknown>, status: number, field: string) => {
        const problem = expectProblem(
          await call(people.owner, Secret, 'POST', base(), {
            name: 'OK_NAME',
            kind: 'generic',
            environment: 'staging',
            value: newValue(`refused-${field}-${status}`),
            ...body,
          }),
          status,
        );
        assert.ok(fieldsOf(problem).includes(field), `${field}: ${JSON.stringify(problem)}`);
        assert.ok(
          !JSON.stringify(problem).includes(values[`refused-${field}-${status}`]!),
          'the problem holds no value',
        );
      };
      await refused({ kind: 'password-of-doom' }, 422, 'kind');
      await refused({ name: '../etc/passwd' }, 422, 'name');
      await refused({ name: '' }, 422, 'name');
      await refused({ environment: 'Prod!' }, 422, 'environment');
      await refused({ value: '' }, 422, 'value');
      await refused({ rotationPolicy: { every: '5s' } }, 422, 'rotationPolicy.every');
      await refused({ rotationPolicy: { every: 'weekly' } }, 422, 'rotationPolicy.every');
      await refused({ unexpected: true }, 422, 'unexpected');
      await refused({ name: 'stripe_api_key' }, 409, 'name'); // names are unique regardless of case
      // A rotation policy needs the plan's secret-rotation feature.
      const free = expectProblem(
        await call(people.freeOwner, Secret, 'POST', `/api/v1/tenants/${freeTenant.slug}/secrets`, {
          name: 'TOKEN',
          kind: 'generic',
          value: newValue('free-plan'),
          rotationPolicy: { every: '30d' },
        }),
        403,
      );
      assert.match(free.type, /plan-feature-missing/);
      assert.deepEqual(fieldsOf(free), ['rotationPolicy']);
      const patched = expectProblem(
        await call(people.owner, Secret, 'PATCH', `${base()}/${secretId}`, { rotationPolicy: { every: '1s' } }),
        422,
      );
      assert.deepEqual(fieldsOf(patched), ['rotationPolicy.every']);
      expectProblem(await call(people.owner, Secret, 'POST', `${base()}/${secretId}/versions`, { value: '' }), 422);
      expectProblem(await call(people.owner, Secret, 'GET', `${base()}/not-a-uuid`), 422);
      assert.deepEqual(await counts(), before);
      assert.deepEqual(await versionsInStore(storePath), [1]);
    });

    it('sets a new version; the old value is kept and still revealable within its retention', async () => {
      const updated = expectOk(
        await call(people.developer, Secret, 'POST', `${base()}/${secretId}/versions`, { value: newValue('second') }),
        201,
      );
      assert.equal(updated.version, 2);
      assert.ok(updated.rotatedAt);
      assert.deepEqual(await versionsInStore(storePath), [1, 2]);
      const revealed = expectOk(
        await call(people.owner, RevealedSecret, 'POST', `${base()}/${secretId}/reveal`, {}, { reveal: true }),
      );
      assert.deepEqual(revealed, { secretId, version: 2, value: values.second });
      const older = expectOk(
        await call(
          people.owner,
          RevealedSecret,
          'POST',
          `${base()}/${secretId}/reveal`,
          { version: 1 },
          { reveal: true },
        ),
      );
      assert.equal(older.value, values.first);
      const history = expectOk(await call(people.viewer, SecretVersionList, 'GET', `${base()}/${secretId}/versions`));
      assert.deepEqual(
        history.items.map((item) => [item.version, item.current, item.purgedAt]),
        [
          [2, true, null],
          [1, false, null],
        ],
      );
      assert.ok(history.items[1]!.retainedUntil && history.items[1]!.supersededAt);
      const audit = await platform.database.query<{ action: string; after: { version?: number } }>(
        `SELECT action, after FROM audit_log WHERE target_id = $1 ORDER BY id`,
        [secretId],
      );
      assert.deepEqual(
        audit.map((entry) => `${entry.action}:${entry.after?.version ?? ''}`),
        ['secret.created:1', 'secret.version_added:2', 'secret.revealed:2', 'secret.revealed:1'],
      );
    });

    it('reveals only with secrets.reveal, and never to another tenant; refusals change nothing', async () => {
      const before = await counts();
      const developer = expectProblem(
        await call(people.developer, RevealedSecret, 'POST', `${base()}/${secretId}/reveal`, {}),
        403,
      );
      assert.match(developer.detail ?? '', /secrets\.reveal/);
      expectProblem(
        await call(people.viewer, Secret, 'POST', `${base()}/${secretId}/versions`, { value: 'x-viewer' }),
        403,
      );
      // An owner of another tenant: this tenant does not exist for them…
      for (const [method, path, json] of [
        ['POST', `${base()}/${secretId}/reveal`, {}],
        ['POST', `${base()}/${secretId}/versions`, { value: 'x-outsider' }],
        ['DELETE', `${base()}/${secretId}`, undefined],
        ['GET', `${base()}/${secretId}/versions`, undefined],
      ] as const) {
        const problem = expectProblem(await call(people.outsider, RevealedSecret, method, path, json), 404);
        assert.match(problem.detail ?? '', /No tenant/);
      }
      // …and through their own tenant, the secret id names nothing.
      const own = `/api/v1/tenants/${freeTenant.slug}/secrets/${secretId}`;
      for (const [method, path, json] of [
        ['POST', `${own}/reveal`, {}],
        ['POST', `${own}/versions`, { value: 'x-outsider' }],
        ['PATCH', own, { description: 'mine now' }],
        ['DELETE', own, undefined],
      ] as const) {
        const problem = expectProblem(await call(people.outsider, RevealedSecret, method, path, json), 404);
        assert.match(problem.detail ?? '', /No secret/);
      }
      assert.deepEqual(await counts(), before);
      assert.deepEqual(await versionsInStore(storePath), [1, 2]);
    });

    it('destroys a replaced value once its retention ends; revealing it is then 410', async () => {
      await sleep(RETENTION_MS + 500);
      // Any change of the tenant's secrets destroys what is due.
      expectOk(
        await call(people.owner, Secret, 'PATCH', `${base()}/${secretId}`, { consumers: ['deployment/web'] }),
        200,
      );
      assert.deepEqual(await versionsInStore(storePath), [2]);
      const gone = expectProblem(
        await call(people.owner, RevealedSecret, 'POST', `${base()}/${secretId}/reveal`, { version: 1 }),
        410,
      );
      assert.deepEqual(fieldsOf(gone), ['version']);
      const history = expectOk(await call(people.viewer, SecretVersionList, 'GET', `${base()}/${secretId}/versions`));
      assert.ok(history.items.find((item) => item.version === 1)?.purgedAt);
      const current = expectOk(
        await call(people.owner, RevealedSecret, 'POST', `${base()}/${secretId}/reveal`, {}, { reveal: true }),
      );
      assert.equal(current.value, values.second);
    });

    it('deletes: gone from the API at once, the value kept until the retention ends, then destroyed', async () => {
      const deleted = await as(people.developer).send(z.unknown(), 'DELETE', `${base()}/${secretId}`);
      assert.equal(deleted.status, 204);
      expectProblem(await call(people.owner, Secret, 'GET', `${base()}/${secretId}`), 404);
      expectProblem(await call(people.owner, RevealedSecret, 'POST', `${base()}/${secretId}/reveal`, {}), 404);
      assert.deepEqual(expectOk(await call(people.owner, SecretList, 'GET', base())).items, []);
      assert.deepEqual(await versionsInStore(storePath), [2], 'kept during the retention period');
      // The name is free again at once.
      const again = expectOk(
        await call(people.owner, Secret, 'POST', base(), {
          name: 'STRIPE_API_KEY',
          kind: 'api-key',
          environment: 'staging',
          value: newValue('replacement'),
        }),
        201,
      );
      expectOk(
        await call(people.owner, Secret, 'POST', `${base()}/${again.id}/versions`, { value: newValue('third') }),
        201,
      );
      // Nothing of the tenant's changes after this: the API's sweep (every second here) destroys it.
      const deadline = Date.now() + RETENTION_MS + 10_000;
      while ((await versionsInStore(storePath)).length > 0 && Date.now() < deadline) await sleep(250);
      assert.deepEqual(await versionsInStore(storePath), [], 'destroyed after the retention period, by the sweep');
      // The sweep destroys in the store first and marks the rows in its transaction after: the
      // store can be empty a moment before the rows say so.
      await waitFor('every version marked destroyed', async () => {
        const kept = await platform.database.query(
          `SELECT version FROM tenant_secret_versions WHERE secret_id = $1 AND purged_at IS NULL`,
          [secretId],
        );
        return kept.length === 0 || undefined;
      });
      await waitFor(
        'the sweep logged',
        () => /Secret versions destroyed after their retention/.test(platform.api.output()) || undefined,
      );
      const audit = await platform.database.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id`,
        [secretId],
      );
      assert.equal(audit.at(-1)?.action, 'secret.deleted');
    });

    it('changes and removes a rotation policy by PATCH: the Schedule follows, GET shows when it runs; refusals change nothing', async () => {
      const created = expectOk(
        await call(people.owner, Secret, 'POST', base(), {
          name: 'POLICY_EDIT',
          kind: 'generic',
          environment: 'staging',
          value: newValue('policy-edit'),
          consumers: ['web'],
        }),
        201,
      );
      const path = `${base()}/${created.id}`;
      const schedule = platform.temporal.schedule.getHandle(rotationScheduleId(tenant.slug, created.id));
      const gapsOf = (times: string[]) => times.slice(1).map((time, i) => Date.parse(time) - Date.parse(times[i]!));
      assert.deepEqual(expectOk(await call(people.viewer, SecretDetail, 'GET', path)).schedule, {
        state: 'none',
        paused: false,
        nextRotations: [],
      });

      const free = expectOk(
        await call(people.freeOwner, Secret, 'POST', `/api/v1/tenants/${freeTenant.slug}/secrets`, {
          name: 'FREE_POLICY_EDIT',
          kind: 'generic',
          value: newValue('free-policy-edit'),
        }),
        201,
      );
      const before = await counts();
      const short = expectProblem(
        await call(people.owner, Secret, 'PATCH', path, { rotationPolicy: { every: '9s' } }),
        422,
      );
      assert.deepEqual(fieldsOf(short), ['rotationPolicy.every']);
      assert.match(short.detail ?? '', /out of range/);
      const twice = expectProblem(await call(people.owner, Secret, 'PATCH', path, { consumers: ['web', 'web'] }), 422);
      assert.deepEqual(fieldsOf(twice), ['consumers']);
      expectProblem(await call(people.viewer, Secret, 'PATCH', path, { rotationPolicy: { every: '1d' } }), 403);
      const plan = expectProblem(
        await call(people.freeOwner, Secret, 'PATCH', `/api/v1/tenants/${freeTenant.slug}/secrets/${free.id}`, {
          rotationPolicy: { every: '1d' },
          consumers: ['web'],
        }),
        403,
      );
      assert.match(plan.type, /plan-feature-missing/);
      assert.deepEqual(fieldsOf(plan), ['rotationPolicy']);
      assert.deepEqual(await counts(), before, 'no row, version or audit entry changed');
      assert.deepEqual(
        expectOk(await call(people.freeOwner, Secret, 'GET', `/api/v1/tenants/${freeTenant.slug}/secrets/${free.id}`))
          .consumers,
        [],
      );
      await assert.rejects(schedule.describe(), ScheduleNotFoundError);

      const set = expectOk(
        await call(people.owner, Secret, 'PATCH', path, {
          rotationPolicy: { every: '1d' },
          consumers: ['web', 'worker'],
        }),
      );
      assert.deepEqual(set.rotationPolicy, { everySeconds: 86_400, every: '1d' });
      assert.deepEqual(set.consumers, ['web', 'worker']);
      const scheduled = expectOk(await call(people.viewer, SecretDetail, 'GET', path)).schedule;
      assert.equal(scheduled.state, 'scheduled');
      assert.deepEqual(
        scheduled.nextRotations,
        (await schedule.describe()).info.nextActionTimes.map((time) => time.toISOString()),
        'the next rotations are the Schedule’s',
      );
      assert.ok(gapsOf(scheduled.nextRotations).every((gap) => gap === 86_400_000));

      expectOk(await call(people.owner, Secret, 'PATCH', path, { rotationPolicy: { every: '12h' } }));
      const changed = expectOk(await call(people.viewer, SecretDetail, 'GET', path)).schedule;
      assert.ok(changed.nextRotations.length > 1 && gapsOf(changed.nextRotations).every((gap) => gap === 43_200_000));

      const off = expectOk(await call(people.owner, Secret, 'PATCH', path, { rotationPolicy: null }));
      assert.equal(off.rotationPolicy, null);
      assert.equal(off.nextRotationAt, null);
      assert.equal(expectOk(await call(people.viewer, SecretDetail, 'GET', path)).schedule.state, 'none');
      await assert.rejects(schedule.describe(), ScheduleNotFoundError);

      const audit = await platform.database.query<{ before: any; after: any }>(
        `SELECT before, after FROM audit_log WHERE action = 'secret.updated' AND target_id = $1 ORDER BY id`,
        [created.id],
      );
      assert.deepEqual(
        audit.map((entry) => [entry.before.rotationPolicy, entry.after.rotationPolicy]),
        [
          [null, '1d'],
          ['1d', '12h'],
          ['12h', null],
        ],
      );
      assert.deepEqual([audit[0]?.before.consumers, audit[0]?.after.consumers], [['web'], ['web', 'worker']]);
    });

    it('never shows a value outside a reveal: answers, audit log, logs', async () => {
      const audit = await platform.database.query<{ entry: unknown }>(
        `SELECT to_jsonb(a) AS entry FROM audit_log a WHERE tenant_id = ANY($1::uuid[])`,
        [[tenant.id, freeTenant.id]],
      );
      const metadata = await platform.database.query<{ rows: unknown }>(
        `SELECT (SELECT jsonb_agg(to_jsonb(s)) FROM tenant_secrets s) AS rows`,
      );
      assert.ok(Object.keys(values).length >= 10, 'the suite set values to look for');
      assertNoSecrets(
        {
          'the API answers (reveals aside)': answers.join('\n'),
          'the audit log': JSON.stringify(audit),
          'the metadata tables': JSON.stringify(metadata),
          'the API log': platform.api.output(),
          'the worker log': platform.worker.output(),
        },
        values,
      );
    });
  });
}

// How `npm test` chooses its PostgreSQL (scripts/test-postgres.ts): the variable, the
// machine's server when it lets postgres in without a password, else an embedded one; and
// the probe against servers that are not there or ask for a password.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../config/env.ts';
import { freePort } from '../../scripts/free-port.ts';
import { readTestRunnerConfig } from '../../scripts/test-config.ts';
import type { ProbeResult } from '../../scripts/test-postgres.ts';
import { MACHINE_POSTGRES_URL, choosePostgres, probePostgres } from '../../scripts/test-postgres.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A probe that answers from a table and records what it was asked. */
function probeOf(answers: Record<string, ProbeResult>) {
  const asked: string[] = [];
  const probe = (url: string) => {
    asked.push(url);
    return Promise.resolve(answers[url] ?? { ok: false as const, reason: 'connect ECONNREFUSED' });
  };
  return { probe, asked };
}

describe('choosing the PostgreSQL for a run', () => {
  const given = 'postgres://atrium:s3cret@db.example:5433/postgres';

  it('ATRIUM_TEST_POSTGRES_URL, when set, is used (after checking it answers)', async () => {
    const { probe, asked } = probeOf({ [given]: { ok: true }, [MACHINE_POSTGRES_URL]: { ok: true } });
    assert.deepEqual(await choosePostgres({ url: given, mode: 'auto' }, probe), { kind: 'given', url: given });
    assert.deepEqual(asked, [given]);
  });

  it('a set ATRIUM_TEST_POSTGRES_URL that does not answer stops the run, naming it, without the password', async () => {
    const { probe } = probeOf({ [MACHINE_POSTGRES_URL]: { ok: true } });
    await assert.rejects(choosePostgres({ url: given, mode: 'auto' }, probe), (error: Error) => {
      assert.match(
        error.message,
        /^ATRIUM_TEST_POSTGRES_URL \(postgres:\/\/atrium:\*\*\*@db\.example:5433\/postgres\)/,
      );
      assert.match(error.message, /ECONNREFUSED/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  it('otherwise the machine’s server on 127.0.0.1:5432 when it lets postgres in without a password', async () => {
    const { probe, asked } = probeOf({ [MACHINE_POSTGRES_URL]: { ok: true } });
    assert.deepEqual(await choosePostgres({ mode: 'auto' }, probe), { kind: 'machine', url: MACHINE_POSTGRES_URL });
    assert.deepEqual(asked, ['postgres://postgres@127.0.0.1:5432/postgres']);
  });

  it('otherwise an embedded one, saying why', async () => {
    const { probe } = probeOf({
      [MACHINE_POSTGRES_URL]: { ok: false, reason: 'password authentication failed for user "postgres"' },
    });
    const choice = await choosePostgres({ mode: 'auto' }, probe);
    assert.equal(choice.kind, 'embedded');
    assert.match(choice.kind === 'embedded' ? choice.reason : '', /password authentication failed/);
  });

  it('ATRIUM_TEST_POSTGRES=embedded forces the embedded one without asking any server', async () => {
    const { probe, asked } = probeOf({ [MACHINE_POSTGRES_URL]: { ok: true } });
    assert.deepEqual(await choosePostgres({ mode: 'embedded' }, probe), {
      kind: 'embedded',
      reason: 'ATRIUM_TEST_POSTGRES=embedded',
    });
    assert.deepEqual(asked, []);
  });
});

describe('the PostgreSQL settings', () => {
  const problems = (env: Record<string, string>) => {
    try {
      readTestRunnerConfig(env, ROOT);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((problem) => problem.split(':')[0]);
      throw error;
    }
    return [];
  };

  it('default to choosing', () => {
    assert.deepEqual(readTestRunnerConfig({}, ROOT).postgres, { url: undefined, mode: 'auto' });
    assert.deepEqual(readTestRunnerConfig({ ATRIUM_TEST_POSTGRES: 'embedded' }, ROOT).postgres, {
      url: undefined,
      mode: 'embedded',
    });
  });

  it('name each bad variable, and refuse a URL together with embedded', () => {
    assert.deepEqual(problems({ ATRIUM_TEST_POSTGRES: 'sometimes', ATRIUM_TEST_POSTGRES_URL: 'mysql://x' }), [
      'ATRIUM_TEST_POSTGRES_URL',
      'ATRIUM_TEST_POSTGRES',
    ]);
    assert.deepEqual(
      problems({ ATRIUM_TEST_POSTGRES: 'embedded', ATRIUM_TEST_POSTGRES_URL: 'postgres://postgres@127.0.0.1/x' }),
      ['ATRIUM_TEST_POSTGRES'],
    );
  });
});

/**
 * Just enough of a PostgreSQL server to ask for a password: it reads the startup message,
 * asks for a cleartext password or SCRAM, then refuses whatever comes back.
 */
async function serverAskingForPassword(
  method: 'cleartext' | 'scram',
): Promise<{ url: string; server: Server; passwords: string[] }> {
  const passwords: string[] = [];
  const int32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    return buffer;
  };
  const message = (type: string, body: Buffer) => Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
  const server = createServer((socket) => {
    let step = 0;
    socket.on('data', (data) => {
      if (step++ === 0) {
        socket.write(
          method === 'cleartext'
            ? message('R', int32(3))
            : message('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256\0\0')])),
        );
      } else if (method === 'scram' && step === 2) {
        socket.write(message('R', Buffer.concat([int32(11), Buffer.from('r=abc,s=c2FsdA==,i=4096')])));
      } else {
        if (data.subarray(0, 1).toString() === 'p') passwords.push(data.subarray(5, data.length - 1).toString());
        const fields = ['SFATAL', 'C28P01', 'Mpassword authentication failed for user "postgres"'];
        socket.end(message('E', Buffer.from(`${fields.join('\0')}\0\0`)));
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, server, passwords };
}

describe('probing a server', () => {
  it('nothing listening: not usable, with the connection error', async () => {
    const result = await probePostgres(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, {
      withoutPassword: true,
    });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /ECONNREFUSED/);
  });

  for (const method of ['cleartext', 'scram'] as const) {
    it(`a server asking for a password (${method}): not usable, and no password is taken from elsewhere`, async () => {
      const { url, server, passwords } = await serverAskingForPassword(method);
      process.env.PGPASSWORD = 'from-the-environment';
      try {
        const result = await probePostgres(url, { withoutPassword: true });
        assert.equal(result.ok, false);
        assert.match(result.ok ? '' : result.reason, /password/);
        if (method === 'cleartext') assert.deepEqual(passwords, [''], 'an empty password, not PGPASSWORD');
      } finally {
        delete process.env.PGPASSWORD;
        server.close();
      }
    });
  }
});

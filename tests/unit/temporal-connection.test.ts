// TLS, a client certificate and an API key for Temporal (config/temporal.ts), as the API and
// the worker read them: what each combination gives Connection.connect, and the settings that
// are refused naming the variable. (No server here speaks TLS: the dev server has none.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readApiConfig } from '../../api/config.ts';
import { ConfigError } from '../../config/env.ts';
import { readWorkerConfig } from '../../worker/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'atrium-temporal-tls-'));
const files = { cert: join(dir, 'client.pem'), key: join(dir, 'client.key'), ca: join(dir, 'ca.pem') };
writeFileSync(files.cert, 'client certificate');
writeFileSync(files.key, 'client key');
writeFileSync(files.ca, 'server CA');

const BASE = {
  DATABASE_URL: 'postgres://atrium@127.0.0.1:5432/atrium',
  JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
};

/** What the worker and the API pass to Connection.connect; the same for both. */
function connectionFor(env: Record<string, string>) {
  const worker = readWorkerConfig({ ...BASE, ...env }).temporal.connection;
  assert.deepEqual(readApiConfig({ ...BASE, ...env }).temporal.connection, worker);
  return worker;
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    readWorkerConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the Temporal connection', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is plaintext without any setting (the dev server)', () => {
    assert.deepEqual(connectionFor({}), { tls: false });
  });

  it('uses mTLS with a client certificate, its key, a CA and a server name (a cluster with mTLS, Temporal Cloud)', () => {
    const connection = connectionFor({
      TEMPORAL_TLS_CERT_FILE: files.cert,
      TEMPORAL_TLS_KEY_FILE: files.key,
      TEMPORAL_TLS_CA_FILE: files.ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    assert.deepEqual(connection, {
      tls: {
        serverNameOverride: 'temporal.internal',
        serverRootCACertificate: Buffer.from('server CA'),
        clientCertPair: { crt: Buffer.from('client certificate'), key: Buffer.from('client key') },
      },
    });
  });

  it('sends an API key over TLS with the system roots (Temporal Cloud), or in plaintext only when told', () => {
    assert.deepEqual(connectionFor({ TEMPORAL_API_KEY: 'key-1' }), { tls: {}, apiKey: 'key-1' });
    assert.deepEqual(connectionFor({ TEMPORAL_API_KEY: 'key-1', TEMPORAL_TLS: 'off' }), {
      tls: false,
      apiKey: 'key-1',
    });
    assert.deepEqual(connectionFor({ TEMPORAL_TLS: 'on' }), { tls: {} });
  });

  it('refuses half a client certificate, unreadable files and TLS details with TLS off', () => {
    assert.match(problemsOf({ TEMPORAL_TLS_CERT_FILE: files.cert }).join('\n'), /^TEMPORAL_TLS_KEY_FILE: give/);
    assert.match(problemsOf({ TEMPORAL_TLS_KEY_FILE: files.key }).join('\n'), /^TEMPORAL_TLS_CERT_FILE: give/);
    assert.match(
      problemsOf({ TEMPORAL_TLS_CA_FILE: join(dir, 'missing.pem') }).join('\n'),
      /^TEMPORAL_TLS_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/,
    );
    assert.match(
      problemsOf({ TEMPORAL_TLS: 'off', TEMPORAL_TLS_CA_FILE: files.ca }).join('\n'),
      /^TEMPORAL_TLS: is off/,
    );
    assert.match(problemsOf({ TEMPORAL_TLS: 'yes' }).join('\n'), /^TEMPORAL_TLS: must be on or off/);
  });
});

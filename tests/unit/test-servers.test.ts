// How `npm test` decides which real servers to start, and how it hands their addresses on.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serversNeededBy, toTestVariables } from '../../scripts/test-servers.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'atrium-needs-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content);
  return root;
}

test('servers are read from @needs-servers comments, merged, in a fixed order', () => {
  const root = tree({
    'a.test.ts': '// Vault things\n// @needs-servers: kube vault\nimport x from "y";\n',
    'b.test.ts': '// @needs-servers: stripe, vault\n',
    'c.test.ts': 'no servers here\n',
  });
  assert.deepEqual(serversNeededBy(['a.test.ts', 'b.test.ts', 'c.test.ts'], root), ['vault', 'stripe', 'kube']);
  assert.deepEqual(serversNeededBy(['c.test.ts'], root), []);
});

test('an unknown server name is an error naming the file', () => {
  const root = tree({ 'd.test.ts': '// @needs-servers: vault redis\n' });
  assert.throws(() => serversNeededBy(['d.test.ts'], root), /d\.test\.ts: unknown server "redis"/);
});

test("servers.sh's export lines become ATRIUM_TEST_* variables; others are dropped", () => {
  const printed = [
    'export VAULT_ADDR=http://127.0.0.1:8200',
    'export VAULT_TOKEN=atrium-dev-root',
    'export STRIPE_API_BASE=http://127.0.0.1:12111',
    'export STRIPE_MOCK_PORT=12111',
    'export KUBECONFIG=/tmp/with\\ space/admin.kubeconfig',
    'export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:24318',
    'export JAEGER_QUERY_URL=http://127.0.0.1:26686',
    '',
  ].join('\n');
  assert.deepEqual(toTestVariables(printed), {
    ATRIUM_TEST_VAULT_ADDR: 'http://127.0.0.1:8200',
    ATRIUM_TEST_VAULT_TOKEN: 'atrium-dev-root',
    ATRIUM_TEST_STRIPE_PORT: '12111',
    ATRIUM_TEST_KUBECONFIG: '/tmp/with space/admin.kubeconfig',
    ATRIUM_TEST_OTLP_ENDPOINT: 'http://127.0.0.1:24318',
    ATRIUM_TEST_JAEGER_QUERY_URL: 'http://127.0.0.1:26686',
  });
});

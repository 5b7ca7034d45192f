// The outbound guard over real sockets on loopback: a guarded fetch to 127.0.0.1 is refused
// unless loopback is allowed; names resolving to internal addresses are refused; and a name
// whose DNS answer changes between a check and the connection (DNS rebinding, served by a real
// DNS server on loopback) is refused at connect time. Only loopback ever reaches a socket
// here: were the guard broken, every request below would land on this file's own server (and
// be counted), never on a private or public address; private answers are checked at the
// lookup without a socket.
import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { OutboundGuard, Resolver } from '../../integrations/outbound/guard.ts';
import { createOutboundGuard } from '../../integrations/outbound/guard.ts';
import type { OutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundClient } from '../../integrations/outbound/fetch.ts';
import { OutboundAddressRefused, findOutboundRefusal } from '../../integrations/outbound/refused.ts';
import type { TestDnsServer } from '../support/dns-server.ts';
import { startTestDnsServer } from '../support/dns-server.ts';

/** A public address the rebinding name answers with first. Only ever resolved, never called. */
const PUBLIC_ADDRESS = '1.1.1.1';

describe('outbound guard over real sockets', () => {
  let port: number;
  const hits: string[] = [];
  const clients: OutboundClient[] = [];
  let server: ReturnType<typeof createServer>;
  let dnsServer: TestDnsServer;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      hits.push(req.url ?? '');
      if (req.url === '/redirect-to-unspecified') {
        res.writeHead(302, { location: `http://0.0.0.0:${port}/after-redirect` }).end();
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // rebind.test: a public address at the first lookup, 127.0.0.1 from then on.
    dnsServer = await startTestDnsServer((name, n) => {
      if (name === 'rebind.test') return n === 1 ? PUBLIC_ADDRESS : '127.0.0.1';
      if (name === 'internal.test') return '10.0.0.5';
      if (name === 'this-host.test') return '0.0.0.0';
      return null;
    });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await new Promise((resolve) => server.close(resolve));
    await dnsServer?.stop();
  });

  /** Resolves names through the test DNS server, as the system resolver would through DNS. */
  function testDnsResolver(): Resolver {
    const resolver = new dns.Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([dnsServer.address]);
    return async (hostname) => (await resolver.resolve4(hostname)).map((address) => ({ address, family: 4 }));
  }

  function client(
    allowLoopback: boolean,
    resolver?: Resolver,
  ): { guard: OutboundGuard; fetch: OutboundClient['fetch'] } {
    const guard = createOutboundGuard({ allowLoopback }, resolver ? { resolver } : {});
    const outbound = createOutboundClient(guard);
    clients.push(outbound);
    return { guard, fetch: outbound.fetch };
  }

  async function refusal(promise: Promise<unknown>): Promise<OutboundAddressRefused> {
    const error = await promise.then(
      () => assert.fail('the request should have been refused'),
      (caught: unknown) => caught,
    );
    const found = findOutboundRefusal(error);
    assert.ok(found, `expected an OutboundAddressRefused, got ${String(error)}`);
    return found;
  }

  it('refuses 127.0.0.1 without the setting and calls it with the setting', async () => {
    const before = hits.length;
    const refused = await refusal(client(false).fetch(`http://127.0.0.1:${port}/literal`));
    assert.equal(refused.host, '127.0.0.1');
    assert.equal(refused.address, '127.0.0.1');
    assert.equal(refused.kind, 'loopback');
    assert.equal(refused.message, '127.0.0.1 is a loopback address; Atrium only calls public addresses.');
    assert.equal(refused.retryable, false);
    assert.equal(hits.length, before, 'the server saw no request');

    const allowed = await client(true).fetch(`http://127.0.0.1:${port}/literal`);
    assert.equal(allowed.status, 200);
    assert.equal(await allowed.text(), 'ok');
    assert.deepEqual(hits.slice(before), ['/literal']);
  });

  it('refuses the IPv4-mapped form of loopback, and other spellings URLs turn into it', async () => {
    const before = hits.length;
    const mapped = await refusal(client(false).fetch(`http://[::ffff:127.0.0.1]:${port}/`));
    assert.equal(mapped.kind, 'loopback');
    assert.match(mapped.message, /IPv4-mapped form of 127\.0\.0\.1, a loopback address/);
    const hex = await refusal(client(false).fetch(`http://0x7f000001:${port}/`));
    assert.equal(hex.address, '127.0.0.1');
    assert.equal(hits.length, before);
  });

  it('refuses a name the system resolver turns into loopback (localhost)', async () => {
    const before = hits.length;
    const refused = await refusal(client(false).fetch(`http://localhost:${port}/`));
    assert.equal(refused.host, 'localhost');
    assert.match(refused.message, /^localhost resolves to (127\.0\.0\.1|::1), a loopback address; Atrium only calls/);
    assert.equal(hits.length, before);
    assert.equal((await client(true).fetch(`http://localhost:${port}/named`)).status, 200);
  });

  it('refuses names resolving to private or "this host" addresses, even with loopback allowed', async () => {
    // The socket's lookup, called as net.connect calls it (no socket, so no packet either way).
    const guard = createOutboundGuard({ allowLoopback: true }, { resolver: testDnsResolver() });
    const error = await new Promise<unknown>((resolve) =>
      guard.lookup('internal.test', { all: true }, (caught) => resolve(caught)),
    );
    assert.ok(error instanceof OutboundAddressRefused, String(error));
    assert.equal(
      error.message,
      'internal.test resolves to 10.0.0.5, a private address; Atrium only calls public addresses.',
    );
    assert.equal(error.kind, 'private');
    assert.equal(dnsServer.queries.get('internal.test'), 1);

    // Through a fetch: 0.0.0.0 would reach this machine, and stays refused with loopback allowed.
    const before = hits.length;
    const refused = await refusal(client(true, testDnsResolver()).fetch(`http://this-host.test:${port}/`));
    assert.equal(refused.address, '0.0.0.0');
    assert.equal(refused.kind, 'unspecified');
    assert.equal(hits.length, before);
  });

  it('refuses at connect time a name that resolved to a public address when checked (DNS rebinding)', async () => {
    const { guard, fetch } = client(false, testDnsResolver());
    // The check a caller might make before the request: the name looks public. (This takes
    // the one public answer, so the request below can only be told 127.0.0.1.)
    assert.deepEqual(await guard.resolve('rebind.test'), [{ address: PUBLIC_ADDRESS, family: 4 }]);
    assert.equal(dnsServer.queries.get('rebind.test'), 1);
    const before = hits.length;
    // The connection resolves again, gets 127.0.0.1, and is refused before connecting.
    const refused = await refusal(fetch(`http://rebind.test:${port}/rebound`));
    assert.equal(refused.host, 'rebind.test');
    assert.equal(refused.address, '127.0.0.1');
    assert.equal(dnsServer.queries.get('rebind.test'), 2);
    assert.equal(hits.length, before, 'nothing reached the loopback server');

    // With loopback allowed, the socket connects to exactly what that connect-time lookup said.
    const allowed = await client(true, testDnsResolver()).fetch(`http://rebind.test:${port}/rebound`);
    assert.equal(allowed.status, 200);
    assert.deepEqual(hits.slice(before), ['/rebound']);
  });

  it('checks every redirect hop', async () => {
    const before = hits.length;
    const refused = await refusal(client(true).fetch(`http://127.0.0.1:${port}/redirect-to-unspecified`));
    assert.equal(refused.address, '0.0.0.0');
    assert.equal(refused.kind, 'unspecified');
    assert.deepEqual(hits.slice(before), ['/redirect-to-unspecified']);
  });

  it('refuses metadata services by name without resolving them', async () => {
    let resolved = 0;
    const counting: Resolver = () => {
      resolved++;
      return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    };
    const refused = await refusal(
      client(false, counting).fetch(`http://metadata.google.internal:${port}/computeMetadata/v1/`),
    );
    assert.equal(refused.kind, 'metadata');
    assert.equal(refused.address, null);
    assert.match(refused.message, /^metadata\.google\.internal is the name of a cloud metadata service/);
    assert.equal(resolved, 0);
    // The metadata address itself is refused like any literal (checked here without a socket).
    await assert.rejects(client(true).guard.resolve('169.254.169.254'), (error: unknown) => {
      assert.ok(error instanceof OutboundAddressRefused);
      assert.equal(error.kind, 'metadata');
      return true;
    });
  });

  it('answers a socket that asks for one family with a checked address of that family', async () => {
    const both: Resolver = () =>
      Promise.resolve([
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ]);
    const guard = createOutboundGuard({ allowLoopback: true }, { resolver: both });
    const lookup = (family: number) =>
      new Promise<unknown[]>((resolve, reject) =>
        guard.lookup('dual.test', { family }, (error, address, addressFamily) =>
          error ? reject(error) : resolve([address, addressFamily]),
        ),
      );
    assert.deepEqual(await lookup(4), ['127.0.0.1', 4]);
    assert.deepEqual(await lookup(6), ['::1', 6]);
    assert.deepEqual(await lookup(0), ['::1', 6]);
  });

  it('guards node:http sockets through its lookup too', async () => {
    const guard = createOutboundGuard({ allowLoopback: false }, { resolver: testDnsResolver() });
    const error = await new Promise<unknown>((resolve) => {
      get({ host: 'rebind.test', port, path: '/', lookup: guard.lookup }, () => resolve(null)).on('error', resolve);
    });
    assert.ok(error instanceof OutboundAddressRefused, String(error));
    assert.equal(error.address, '127.0.0.1');
  });
});

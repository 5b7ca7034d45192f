// The outbound address policy: which addresses Atrium calls for tenants. A table of the
// ranges that must be refused (with the kind the message names), the embedded IPv4 forms,
// the loopback setting, and properties over random addresses checked against ipaddr.js's
// own classification of the IANA registries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import type { AddressKind } from '../../integrations/outbound/policy.ts';
import { classifyAddress, isMetadataHostname } from '../../integrations/outbound/policy.ts';
import { OutboundAddressRefused, findOutboundRefusal } from '../../integrations/outbound/refused.ts';

const STRICT = { allowLoopback: false };
const DEV = { allowLoopback: true };

const TABLE: [address: string, kind: AddressKind][] = [
  // IPv4
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['93.184.215.14', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.5', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['169.254.0.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['192.0.0.192', 'metadata'],
  ['100.64.0.1', 'carrier-grade-nat'],
  ['100.127.255.255', 'carrier-grade-nat'],
  ['100.128.0.1', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.251', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.10', 'documentation'],
  ['198.51.100.10', 'documentation'],
  ['203.0.113.10', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['192.0.0.8', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  // IPv6
  ['2606:4700:4700::1111', 'public'],
  ['2a00:1450:4001:80b::200e', 'public'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fec0::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['fd00:ec2::254', 'metadata'],
  ['fd20:ce::254', 'metadata'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['2002:7f00:1::1', 'tunnel'],
  ['2001:0:4136:e378::1', 'tunnel'],
  ['100::1', 'reserved'],
  ['2001:10::1', 'reserved'],
  ['5f00::1', 'reserved'],
  ['::7f00:1', 'reserved'], // IPv4-compatible (deprecated): not mapped
  ['::127.0.0.1', 'reserved'], // the same, written with a dotted part
  ['::ffff:0:7f00:1', 'reserved'], // IPv4-translated (SIIT)
  ['64:ff9b:1::a00:5', 'private'], // local-use NAT64
  ['4000::1', 'reserved'], // outside 2000::/3: unassigned
  ['[::1]', 'loopback'], // as URLs write it
];

const EMBEDDED: [address: string, kind: AddressKind, description: RegExp][] = [
  ['::ffff:127.0.0.1', 'loopback', /^the IPv4-mapped form of 127\.0\.0\.1, a loopback address$/],
  ['::ffff:7f00:1', 'loopback', /IPv4-mapped form of 127\.0\.0\.1/],
  ['0:0:0:0:0:ffff:0a00:0005', 'private', /IPv4-mapped form of 10\.0\.0\.5, a private address/],
  ['::ffff:169.254.169.254', 'metadata', /IPv4-mapped form of 169\.254\.169\.254, a cloud metadata/],
  ['::ffff:100.64.0.1', 'carrier-grade-nat', /carrier-grade NAT/],
  ['::ffff:0.0.0.0', 'unspecified', /IPv4-mapped form of 0\.0\.0\.0/],
  ['::ffff:8.8.8.8', 'public', /IPv4-mapped form of 8\.8\.8\.8, a public address/],
  ['64:ff9b::10.0.0.5', 'private', /^the NAT64 form of 10\.0\.0\.5, a private address$/],
  ['64:ff9b::a9fe:a9fe', 'metadata', /NAT64 form of 169\.254\.169\.254/],
  ['64:ff9b::8.8.8.8', 'public', /NAT64 form of 8\.8\.8\.8/],
];

describe('outbound address policy', () => {
  for (const [address, kind] of TABLE) {
    it(`${address} is ${kind}`, () => {
      const verdict = classifyAddress(address, STRICT);
      assert.equal(verdict.kind, kind);
      assert.equal(verdict.allowed, kind === 'public');
      assert.equal(verdict.address, address);
    });
  }

  for (const [address, kind, description] of EMBEDDED) {
    it(`${address} is judged by the IPv4 address inside (${kind})`, () => {
      const verdict = classifyAddress(address, STRICT);
      assert.equal(verdict.kind, kind);
      assert.equal(verdict.allowed, kind === 'public');
      assert.match(verdict.description, description);
    });
  }

  it('opens loopback, and only loopback, when the development setting says so', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      assert.equal(classifyAddress(address, STRICT).allowed, false, address);
      assert.equal(classifyAddress(address, DEV).allowed, true, address);
    }
    // The NAT64 form would reach the translator's loopback, not ours.
    assert.equal(classifyAddress('64:ff9b::127.0.0.1', DEV).allowed, false);
    for (const address of ['10.0.0.5', '169.254.169.254', 'fd00:ec2::254', 'fe80::1', '0.0.0.0', '::', '100.64.0.1'])
      assert.equal(classifyAddress(address, DEV).allowed, false, address);
  });

  it('describes what it refuses in words a message can use', () => {
    assert.equal(classifyAddress('10.0.0.5', STRICT).description, 'a private address');
    assert.equal(classifyAddress('127.0.0.1', STRICT).description, 'a loopback address');
    assert.equal(classifyAddress('169.254.169.254', STRICT).description, "a cloud metadata service's address");
  });

  it('refuses to classify what is not an IP address', () => {
    for (const input of ['example.com', '127.1', '', '1.2.3.4.5', '::g'])
      assert.throws(() => classifyAddress(input, STRICT), TypeError, input);
  });

  it('knows the metadata services by name', () => {
    for (const name of ['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata.goog', 'instance-data'])
      assert.equal(isMetadataHostname(name), true, name);
    for (const name of ['metadata.example.com', 'google.internal', 'example.com'])
      assert.equal(isMetadataHostname(name), false, name);
  });
});

describe('outbound address policy, properties', () => {
  // Random addresses, leaning towards the first octets and hextets where special ranges start,
  // which uniform draws would rarely reach.
  const octet = (...likely: number[]) => fc.oneof(fc.nat(255), fc.constantFrom(...likely));
  const ipv4 = fc
    .tuple(
      octet(0, 10, 100, 127, 168, 169, 172, 192, 198, 203, 224, 240, 255),
      octet(0, 2, 16, 18, 31, 51, 63, 64, 88, 100, 168, 254, 255),
      octet(0, 2, 99, 100, 113, 169, 170, 255),
      octet(0, 1, 2, 16, 192, 200, 254, 255),
    )
    .map((octets) => octets.join('.'));
  const hextet = (...likely: number[]) => fc.oneof(fc.nat(0xffff), fc.constantFrom(...likely));
  const ipv6 = fc
    .tuple(
      hextet(0, 0x64, 0x100, 0x2001, 0x2002, 0xfc00, 0xfd00, 0xfe80, 0xfec0, 0xff02),
      fc.array(hextet(0, 0xffff, 0xff9b), { minLength: 7, maxLength: 7 }),
    )
    .map(([first, rest]) => [first, ...rest].map((part) => part.toString(16)).join(':'));
  const ipv6Global = fc
    .tuple(
      fc.oneof(fc.integer({ min: 0x2000, max: 0x3fff }), fc.constantFrom(0x2001, 0x2002, 0x2620, 0x3fff)),
      hextet(0, 2, 3, 4, 0x10, 0x20, 0x30, 0x4f, 0xdb8),
      fc.array(fc.nat(0xffff), { minLength: 6, maxLength: 6 }),
    )
    .map(([first, second, rest]) => [first, second, ...rest].map((part) => part.toString(16)).join(':'));

  // Ranges ipaddr.js marks special although they are globally reachable (AS112 and AMT anycast),
  // and the public-looking metadata address Atrium refuses on its own account.
  const globalAnyway = new Set(['as112', 'amt']);

  it('allows an IPv4 address exactly when the IANA registry calls it global unicast', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        const range = ipaddr.IPv4.parse(address).range();
        const expected = (range === 'unicast' || globalAnyway.has(range)) && address !== '168.63.129.16';
        assert.equal(classifyAddress(address, STRICT).allowed, expected, `${address} (${range})`);
      }),
      { numRuns: 5_000 },
    );
  });

  it('judges the IPv4-mapped and NAT64 forms as the IPv4 address inside', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        const plain = classifyAddress(address, STRICT);
        const mapped = classifyAddress(`::ffff:${address}`, STRICT);
        const nat64 = classifyAddress(`64:ff9b::${address}`, STRICT);
        assert.equal(mapped.kind, plain.kind);
        assert.equal(mapped.allowed, plain.allowed);
        assert.equal(nat64.allowed, plain.allowed);
      }),
      { numRuns: 2_000 },
    );
  });

  it('allows IPv6 only inside the global unicast range 2000::/3', () => {
    fc.assert(
      fc.property(ipv6, (address) => {
        if (classifyAddress(address, STRICT).allowed)
          assert.ok(ipaddr.IPv6.parse(address).match(ipaddr.IPv6.parseCIDR('2000::/3')) || isEmbedding(address));
      }),
      { numRuns: 5_000 },
    );
  });

  it('allows global unicast IPv6 unless ipaddr.js knows it as special', () => {
    // Atrium refuses the whole of 2001::/23 (IETF protocol assignments), AMT and AS112 parts
    // included; the AS112 block outside it is ordinary anycast.
    const ietf = ipaddr.IPv6.parseCIDR('2001::/23');
    fc.assert(
      fc.property(ipv6Global, (address) => {
        const parsed = ipaddr.IPv6.parse(address);
        const range = parsed.range();
        const expected = range === 'unicast' || (globalAnyway.has(range.replace(/v6$/, '')) && !parsed.match(ietf));
        assert.equal(classifyAddress(address, STRICT).allowed, expected, `${address} (${range})`);
      }),
      { numRuns: 5_000 },
    );
  });

  it('changes only loopback verdicts when loopback is allowed', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4, ipv6), (address) => {
        const strict = classifyAddress(address, STRICT);
        const dev = classifyAddress(address, DEV);
        assert.equal(dev.kind, strict.kind);
        if (strict.kind !== 'loopback') assert.equal(dev.allowed, strict.allowed, address);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('OutboundAddressRefused', () => {
  const refused = (address: string) => {
    const verdict = classifyAddress(address, STRICT);
    if (verdict.allowed) throw new Error(`${address} should be refused`);
    return verdict;
  };

  it('names the host, the address and why, and is not retryable', () => {
    const error = new OutboundAddressRefused('idp.example.com', refused('10.0.0.5'));
    assert.equal(
      error.message,
      'idp.example.com resolves to 10.0.0.5, a private address; Atrium only calls public addresses.',
    );
    assert.equal(error.name, 'OutboundAddressRefused');
    assert.equal(error.retryable, false);
    const literal = new OutboundAddressRefused('127.0.0.1', refused('127.0.0.1'));
    assert.equal(literal.message, '127.0.0.1 is a loopback address; Atrium only calls public addresses.');
  });

  it('is found behind the errors clients wrap it in', () => {
    const refusal = new OutboundAddressRefused('10.0.0.5', refused('10.0.0.5'));
    const wrapped = new Error('something went wrong', {
      cause: new TypeError('fetch failed', { cause: new AggregateError([new Error('other'), refusal]) }),
    });
    assert.equal(findOutboundRefusal(wrapped), refusal);
    assert.equal(findOutboundRefusal(new Error('plain')), undefined);
    assert.equal(findOutboundRefusal('not an error'), undefined);
  });
});

function isEmbedding(address: string): boolean {
  const parsed = ipaddr.IPv6.parse(address);
  return parsed.match(ipaddr.IPv6.parseCIDR('::ffff:0:0/96')) || parsed.match(ipaddr.IPv6.parseCIDR('64:ff9b::/96'));
}

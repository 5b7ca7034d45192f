// Which IP addresses Atrium may call on a tenant's behalf. Tenants hand Atrium addresses
// (an SSO issuer, later webhooks and OAuth providers); without this, a tenant could make
// Atrium read its own network: the cloud's metadata service (instance credentials), the
// database, Vault, the Kubernetes API. So only public unicast addresses pass; loopback only
// when the process was configured for development. Pure data and functions, no I/O: the
// guard (guard.ts) applies it to every address a socket is about to connect to.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { OutboundConfig } from '../../config/outbound.ts';

export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'metadata'
  | 'tunnel';

export type RefusedKind = Exclude<AddressKind, 'public'>;

/** How each refused kind reads in a message: "resolves to 10.0.0.5, a private address". */
const PHRASES: Record<RefusedKind, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  'carrier-grade-nat': 'a carrier-grade NAT address',
  unspecified: 'an unspecified ("this host") address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved address',
  metadata: "a cloud metadata service's address",
  tunnel: 'an IPv6 tunnel (6to4 or Teredo) address, which can lead to any IPv4 address',
};

type Range = readonly [kind: RefusedKind, cidr: string];

// First match wins, so the specific entries (metadata) come before the ranges holding them.
// Sources: the IANA special-purpose address registries and the clouds' own documentation.
const IPV4_RANGES: readonly Range[] = [
  // AWS, GCP, Azure, OCI, DigitalOcean… instance metadata; AWS ECS task metadata.
  ['metadata', '169.254.169.254/32'],
  ['metadata', '169.254.170.2/32'],
  ['metadata', '100.100.100.200/32'], // Alibaba Cloud
  ['metadata', '168.63.129.16/32'], // Azure WireServer: looks public, answers only inside Azure
  ['metadata', '192.0.0.192/32'], // Oracle Cloud (legacy)
  ['broadcast', '255.255.255.255/32'],
  ['unspecified', '0.0.0.0/8'], // connecting to 0.0.0.0 reaches this host on Linux
  ['loopback', '127.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['private', '172.16.0.0/12'],
  ['private', '192.168.0.0/16'],
  ['link-local', '169.254.0.0/16'],
  ['carrier-grade-nat', '100.64.0.0/10'],
  ['multicast', '224.0.0.0/4'],
  ['documentation', '192.0.2.0/24'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['benchmarking', '198.18.0.0/15'],
  ['reserved', '192.0.0.0/24'], // IETF protocol assignments
  ['reserved', '192.88.99.0/24'], // 6to4 relay anycast (deprecated)
  ['reserved', '240.0.0.0/4'], // future use
];

const IPV6_RANGES: readonly Range[] = [
  ['metadata', 'fd00:ec2::254/128'], // AWS instance metadata over IPv6
  ['metadata', 'fd20:ce::254/128'], // GCP metadata over IPv6
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['private', 'fc00::/7'], // unique local addresses
  ['private', 'fec0::/10'], // site-local (deprecated, still routed inside some networks)
  ['private', '64:ff9b:1::/48'], // local-use NAT64 prefix: translates into the local network
  ['link-local', 'fe80::/10'],
  ['multicast', 'ff00::/8'],
  ['documentation', '2001:db8::/32'],
  ['documentation', '3fff::/20'],
  ['benchmarking', '2001:2::/48'],
  ['tunnel', '2002::/16'], // 6to4: the IPv4 address is in the next 32 bits
  ['tunnel', '2001::/32'], // Teredo
  ['reserved', '::/8'], // IPv4-compatible and IPv4-translated forms, and the rest of ::/8
  ['reserved', '100::/64'], // discard-only
  ['reserved', '2001::/23'], // IETF protocol assignments
  ['reserved', '5f00::/16'], // SRv6 segment identifiers
];

// Everything global in IPv6 today is inside 2000::/3; what lies outside is unassigned or
// special, so it is refused even where no entry above names it.
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const IPV4_MAPPED = ipaddr.IPv6.parseCIDR('::ffff:0:0/96');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

const parsedV4 = IPV4_RANGES.map(([kind, cidr]) => [kind, ipaddr.IPv4.parseCIDR(cidr)] as const);
const parsedV6 = IPV6_RANGES.map(([kind, cidr]) => [kind, ipaddr.IPv6.parseCIDR(cidr)] as const);

interface VerdictBase {
  /** The address as it was given. */
  address: string;
  /**
   * What the address is, as a phrase that completes "resolves to 10.0.0.5, …": "a private
   * address", or for an embedded IPv4 address "the IPv4-mapped form of 127.0.0.1, a loopback
   * address".
   */
  description: string;
}

export type AddressVerdict =
  | (VerdictBase & { allowed: true; kind: 'public' | 'loopback' })
  | (VerdictBase & { allowed: false; kind: RefusedKind });

export type AddressPolicy = Pick<OutboundConfig, 'allowLoopback'>;

/** Classifies an IP address (v4 or v6, an IPv6 zone ignored); throws on anything else. */
export function classifyAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return verdictOf(address, classifyV4(ipaddr.IPv4.parse(bare)), policy);
  if (family !== 6) throw new TypeError(`"${address}" is not an IP address.`);

  const v6 = parseV6(bare);
  if (v6.match(IPV4_MAPPED)) {
    // A dual-stack socket sends this to the IPv4 address inside: judge that one.
    const inner = v6.toIPv4Address();
    const verdict = verdictOf(inner.toString(), classifyV4(inner), policy);
    return embedded(address, verdict, 'IPv4-mapped');
  }
  if (v6.match(NAT64_WELL_KNOWN)) {
    // A NAT64 translator forwards this to the IPv4 address in the last 32 bits. Public ones
    // are how IPv6-only hosts reach IPv4 services; anything else is refused, loopback too (it
    // would be the translator's loopback, not ours).
    const inner = new ipaddr.IPv4(v6.toByteArray().slice(12));
    const verdict = verdictOf(inner.toString(), classifyV4(inner), { allowLoopback: false });
    return embedded(address, verdict, 'NAT64');
  }
  const match = parsedV6.find(([, range]) => v6.match(range));
  if (match) return verdictOf(address, match[0], policy);
  return verdictOf(address, v6.match(IPV6_GLOBAL_UNICAST) ? 'public' : 'reserved', policy);
}

function classifyV4(address: ipaddr.IPv4): AddressKind {
  return parsedV4.find(([, range]) => address.match(range))?.[0] ?? 'public';
}

/**
 * ipaddr.js reads "::127.0.0.1" as IPv4-mapped (it is IPv4-compatible, ::7f00:1), so IPv6
 * text goes through the WHATWG URL parser first, whose canonical form has no dotted part.
 */
function parseV6(address: string): ipaddr.IPv6 {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  return ipaddr.IPv6.parse(canonical);
}

function verdictOf(address: string, kind: AddressKind, policy: AddressPolicy): AddressVerdict {
  if (kind === 'public') return { address, kind, allowed: true, description: 'a public address' };
  if (kind === 'loopback' && policy.allowLoopback) return { address, kind, allowed: true, description: PHRASES[kind] };
  return { address, kind, allowed: false, description: PHRASES[kind] };
}

function embedded(address: string, inner: AddressVerdict, form: string): AddressVerdict {
  return { ...inner, address, description: `the ${form} form of ${inner.address}, ${inner.description}` };
}

// Names of metadata services, refused before any lookup: inside a cloud they resolve to the
// addresses above (refused anyway), and refusing the name says so more plainly.
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Whether `hostname` names a cloud metadata service (case and a trailing dot ignored). */
export function isMetadataHostname(hostname: string): boolean {
  return METADATA_HOSTNAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}

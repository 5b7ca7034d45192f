// The outbound guard: the address policy applied where it cannot be dodged, at the moment a
// socket connects. A check of the hostname before the request would not do: DNS can answer
// the check with a public address and the connection a moment later with 127.0.0.1 (DNS
// rebinding). Here the lookup whose answer the socket connects to is the one checked, and an
// address given literally (no lookup happens for those) is checked before connecting.
import { promises as dns } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { OutboundConfig } from '../../config/outbound.ts';
import { classifyAddress, isMetadataHostname } from './policy.ts';
import { OutboundAddressRefused } from './refused.ts';

/** Every address of a name, as `dns.lookup(name, { all: true })` gives them. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** The operating system's resolver (/etc/hosts, then DNS), as Node's sockets use by default. */
export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true });

export interface OutboundGuard {
  /**
   * Resolves `hostname` (a name or a literal address) and returns its addresses when every
   * one may be called; otherwise throws OutboundAddressRefused. Each call resolves afresh.
   */
  resolve(hostname: string): Promise<LookupAddress[]>;
  /**
   * A `lookup` for net.connect / tls.connect (and http(s).Agent): sockets connect only to
   * addresses it returned, so a refusal here happens before any packet is sent. Sockets skip
   * `lookup` for literal addresses; check those with `resolve` before connecting.
   */
  lookup: LookupFunction;
}

export function createOutboundGuard(config: OutboundConfig, options: { resolver?: Resolver } = {}): OutboundGuard {
  const resolver = options.resolver ?? systemResolver;
  const policy = { allowLoopback: config.allowLoopback };

  async function resolve(hostname: string): Promise<LookupAddress[]> {
    const host = hostname.replace(/^\[(.*)\]$/, '$1');
    const family = isIP(host.replace(/%.*$/, ''));
    if (family !== 0) {
      refuseUnlessAllowed(host, host);
      return [{ address: host, family }];
    }
    if (isMetadataHostname(host))
      throw new OutboundAddressRefused(host, {
        address: null,
        kind: 'metadata',
        description: 'the name of a cloud metadata service',
      });
    const addresses = await resolver(host);
    // One refused address refuses the name: a name that mixes public and internal addresses
    // is a mistake or an attack, and the socket might try any of them (Happy Eyeballs).
    for (const { address } of addresses) refuseUnlessAllowed(host, address);
    return addresses;
  }

  function refuseUnlessAllowed(host: string, address: string): void {
    const verdict = classifyAddress(address, policy);
    if (!verdict.allowed) throw new OutboundAddressRefused(host, verdict);
  }

  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        // Node asks for one family when the socket was told to use it.
        const wanted =
          options.family === 4 || options.family === 'IPv4'
            ? 4
            : options.family === 6 || options.family === 'IPv6'
              ? 6
              : 0;
        const addresses = wanted === 0 ? all : all.filter((entry) => entry.family === wanted);
        if (addresses.length === 0) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: 'ENOTFOUND',
            hostname,
          });
          callback(error, options.all ? [] : '', undefined);
        } else if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, options.all ? [] : '', undefined),
    );
  };

  return { resolve, lookup };
}

import net from 'node:net';

/**
 * The IPv4 ranges that are not globally reachable (IANA's special-purpose address registry, RFC
 * 6890 and its updates), with what each is. A NAT gateway's Elastic IP is never in one of them,
 * so an address here in the NAT allow-list is a mistake: a private address the load balancer
 * never sees as a source, or an example address copied from documentation.
 */
const NON_PUBLIC_RANGES: readonly { network: string; prefix: number; what: string }[] = [
  { network: '0.0.0.0', prefix: 8, what: '"this network" (RFC 791)' },
  { network: '10.0.0.0', prefix: 8, what: 'private (RFC 1918)' },
  { network: '100.64.0.0', prefix: 10, what: 'shared address space, carrier-grade NAT (RFC 6598)' },
  { network: '127.0.0.0', prefix: 8, what: 'loopback' },
  { network: '169.254.0.0', prefix: 16, what: 'link-local' },
  { network: '172.16.0.0', prefix: 12, what: 'private (RFC 1918)' },
  { network: '192.0.0.0', prefix: 24, what: 'IETF protocol assignments' },
  { network: '192.0.2.0', prefix: 24, what: 'documentation (TEST-NET-1)' },
  { network: '192.88.99.0', prefix: 24, what: 'the retired 6to4 relay anycast' },
  { network: '192.168.0.0', prefix: 16, what: 'private (RFC 1918)' },
  { network: '198.18.0.0', prefix: 15, what: 'benchmarking (RFC 2544)' },
  { network: '198.51.100.0', prefix: 24, what: 'documentation (TEST-NET-2)' },
  { network: '203.0.113.0', prefix: 24, what: 'documentation (TEST-NET-3)' },
  { network: '224.0.0.0', prefix: 4, what: 'multicast' },
  { network: '240.0.0.0', prefix: 4, what: 'reserved (and broadcast)' },
];

const ranges = NON_PUBLIC_RANGES.map((range) => {
  const list = new net.BlockList();
  list.addSubnet(range.network, range.prefix, 'ipv4');
  return { list, what: range.what };
});

/**
 * Why `address` is not a public IPv4 address, or undefined when it is one. Only the dotted
 * form Node accepts as IPv4 counts (no CIDR suffix, no leading zeros, no IPv6).
 */
export function notPublicIpv4(address: string): string | undefined {
  if (!net.isIPv4(address)) return 'is not an IPv4 address (a single address, no /prefix)';
  const range = ranges.find(({ list }) => list.check(address, 'ipv4'));
  return range === undefined ? undefined : `is ${range.what}, not a public address`;
}

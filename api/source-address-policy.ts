import net from 'node:net';

/**
 * Proxies in front of the API that append to `X-Forwarded-For`: one, the load balancer. Express
 * then takes the client address from the last entry, the one the load balancer appended; every
 * entry before it was sent by the client and proves nothing.
 */
export const DEFAULT_TRUSTED_PROXY_HOPS = 1;

/** One entry of `ALLOWED_SOURCE_IPS`: an address, or a network in CIDR notation. */
export interface SourceAddressRange {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** 32 (IPv4) or 128 (IPv6) for a single address. */
  prefixLength: number;
}

/** Who may send registrations, by the client address the trusted proxy reported. */
export interface SourceAddressPolicy {
  /** The ranges as configured, for start-up logs. */
  readonly ranges: readonly SourceAddressRange[];
  /** True when `address` lies in one of the ranges; false for anything that is not an address. */
  allows(address: string | undefined): boolean;
}

const familyOf = (address: string): 'ipv4' | 'ipv6' | undefined => {
  const version = net.isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
};

/**
 * Parses one `ALLOWED_SOURCE_IPS` entry (`203.0.113.10`, `203.0.113.0/24`, `2001:db8::/32`),
 * or returns why it is not one. Addresses are not secret, but like every config problem the
 * message names the entry by position only.
 */
export function parseSourceAddressRange(
  entry: string,
): { ok: true; range: SourceAddressRange } | { ok: false; problem: string } {
  const [address = '', prefixText, ...rest] = entry.split('/');
  const family = familyOf(address);
  if (family === undefined || rest.length > 0 || address.includes('%')) {
    return { ok: false, problem: 'is not an IPv4 or IPv6 address or CIDR' };
  }
  const maxPrefix = family === 'ipv4' ? 32 : 128;
  if (prefixText === undefined)
    return { ok: true, range: { address, family, prefixLength: maxPrefix } };
  const prefixLength = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefixLength >= 0 && prefixLength <= maxPrefix)) {
    return { ok: false, problem: `has a prefix length outside 0–${maxPrefix}` };
  }
  return { ok: true, range: { address, family, prefixLength } };
}

/**
 * A policy over the given ranges, matched by Node's `net.BlockList`. BlockList compares an
 * IPv4-mapped IPv6 address (`::ffff:203.0.113.10`, also in hex form) with IPv4 ranges and the
 * other way round, so a client the load balancer saw over IPv4 matches its IPv4 entry whichever
 * form reaches us.
 */
export function createSourceAddressPolicy(
  ranges: readonly SourceAddressRange[],
): SourceAddressPolicy {
  const allowed = new net.BlockList();
  for (const { address, family, prefixLength } of ranges) {
    allowed.addSubnet(address, prefixLength, family);
  }
  const frozen = Object.freeze([...ranges]);
  return {
    ranges: frozen,
    allows(address) {
      if (address === undefined) return false;
      const family = familyOf(address);
      // A zone id (`fe80::1%eth0`) names a link, not a client; nothing the proxy appends has one.
      if (family === undefined || address.includes('%')) return false;
      return allowed.check(address, family);
    },
  };
}

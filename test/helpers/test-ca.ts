import { createCA, createCert } from 'mkcert';

export interface TestTls {
  /** PEM of the CA the client must trust. */
  ca: string;
  /** Server key and certificate for 127.0.0.1 and localhost, signed by that CA. */
  key: string;
  cert: string;
}

let made: Promise<TestTls> | undefined;

/**
 * A private CA made in-process, and a server certificate it signed for the loopback names. Made
 * once per test file (RSA key generation in JavaScript takes a moment) and never written to disk.
 */
export function testTls(): Promise<TestTls> {
  made ??= (async () => {
    const ca = await createCA({
      organization: 'cognito-user-sync tests',
      countryCode: 'ZZ',
      state: 'Test',
      locality: 'Test',
      validity: 2,
    });
    const server = await createCert({
      ca,
      domains: ['127.0.0.1', 'localhost'],
      validity: 2,
    });
    return { ca: ca.cert, key: server.key, cert: server.cert };
  })();
  return made;
}

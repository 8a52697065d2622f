import { randomUUID } from 'node:crypto';
import type { Registration } from '#contract/registration';

/** A valid registration with a fresh `sub` and a unique email; override any field. */
export function newRegistration(overrides: Partial<Registration> = {}): Registration {
  const sub = overrides.sub ?? randomUUID();
  const email = overrides.email ?? `user-${sub.slice(0, 8)}-${Date.now().toString(36)}@example.com`;
  return {
    sub,
    email,
    username: `user-${sub.slice(0, 8)}`,
    userPoolId: 'eu-west-1_TestPool1',
    attributes: { email, email_verified: 'true', 'custom:plan': 'free' },
    source: 'trigger',
    ...overrides,
  };
}

/** A header value of the required length, different on every call. */
export function newHeaderSecret(): string {
  return `${randomUUID()}${randomUUID()}`.replaceAll('-', '');
}

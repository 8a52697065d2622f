import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type {
  ServiceInputTypes,
  ServiceOutputTypes,
  SQSClientResolvedConfig,
} from '@aws-sdk/client-sqs';
import { staticHeaderSecretSource, type HeaderSecretSource } from '#contract/header-secret-source';
import { createRegistrationClient } from '#contract/registration-client';
import { createCircuitBreaker, type CircuitBreaker } from '../../../../producer/circuit-breaker';
import { systemClock, type Clock } from '../../../../producer/clock';
import { createFallbackQueue } from '../../../../producer/fallback-queue';
import { createRegistrar, type Registrar } from '../../../../producer/register-user';

export const TEST_QUEUE_URL = 'http://127.0.0.1:9324/000000000000/registrations';
export const TEST_HEADER_NAME = 'x-custom-auth';
export const TEST_HEADER_SECRET = 'unit-test-header-secret-0123456789abcdef';

/** A clock that moves only when told to. */
export function manualClock(start = Date.parse('2030-01-01T00:00:00Z')): Clock & {
  advance(ms: number): void;
} {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

export type SqsStub = AwsStub<ServiceInputTypes, ServiceOutputTypes, SQSClientResolvedConfig>;

export interface RegistrarFixture {
  registrar: Registrar;
  breaker: CircuitBreaker;
  sqsMock: SqsStub;
}

export interface RegistrarFixtureOptions {
  apiUrl: string;
  apiTimeoutMs?: number;
  breakerOpenMs?: number;
  clock?: Clock;
  headerSecrets?: HeaderSecretSource;
}

/** The real registrar, API client and queue adapter, with SQS stubbed per fixture. */
export function registrarFixture(options: RegistrarFixtureOptions): RegistrarFixture {
  const clock = options.clock ?? systemClock;
  const sqs = new SQSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const sqsMock = mockClient(sqs);
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'message-1' });
  const breaker = createCircuitBreaker({ openMs: options.breakerOpenMs ?? 30_000, clock });
  const registrar = createRegistrar({
    client: createRegistrationClient({
      apiUrl: options.apiUrl,
      headerName: TEST_HEADER_NAME,
      headerSecrets: options.headerSecrets ?? staticHeaderSecretSource([TEST_HEADER_SECRET]),
    }),
    queue: createFallbackQueue({ sqs, registrationQueueUrl: TEST_QUEUE_URL }),
    breaker,
    config: { apiTimeoutMs: options.apiTimeoutMs ?? 1500 },
    clock,
  });
  return { registrar, breaker, sqsMock };
}

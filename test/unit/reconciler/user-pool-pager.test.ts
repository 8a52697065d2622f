import {
  CognitoIdentityProviderClient,
  ListUsersCommand,
  ResourceNotFoundException,
  type ListUsersCommandInput,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { generatedUser, ListUsersDouble } from '../../../fixtures/list-users-double';
import { ManualClock } from '../../../fixtures/manual-clock';
import { IncompleteScanError } from '../../../reconciler/errors';
import { listPoolUsers, type UserPoolPagerOptions } from '../../../reconciler/user-pool-pager';

const cognito = mockClient(CognitoIdentityProviderClient);
const client = new CognitoIdentityProviderClient({ region: 'eu-west-1' });

function wire(double: ListUsersDouble, clock: ManualClock, callTimes: number[] = []): void {
  cognito.reset();
  cognito.on(ListUsersCommand).callsFake((input: ListUsersCommandInput) => {
    callTimes.push(clock.now());
    return double.listUsers(input);
  });
}

/** Runs a scan to its end, keeping the pages it yielded and the error it ended with. */
async function scan({
  afterPage,
  ...options
}: Partial<UserPoolPagerOptions> & {
  clock: ManualClock;
  /** Called with the pages so far after each one arrives, before the next is asked for. */
  afterPage?: (pagesSoFar: readonly UserType[][]) => void;
}) {
  const pages: UserType[][] = [];
  let error: unknown;
  try {
    for await (const page of listPoolUsers({
      client,
      userPoolId: 'eu-west-1_Pager1',
      requestsPerSecond: 10,
      maxRetries: 3,
      random: () => 1,
      ...options,
    })) {
      pages.push(page);
      afterPage?.(pages);
    }
  } catch (caught) {
    error = caught;
  }
  return { pages, error };
}

const subsOf = (pages: UserType[][]): string[] =>
  pages.flat().map((user) => user.Attributes?.find((a) => a.Name === 'sub')?.Value ?? '');

describe('listPoolUsers', () => {
  it('when the pool holds 150 users, then it yields them once each in pages of at most 60, following the tokens', async () => {
    const clock = new ManualClock();
    const double = new ListUsersDouble({ size: 150, userAt: (i) => generatedUser(i) });
    wire(double, clock);

    const { pages, error } = await scan({ clock });

    expect(error).toBeUndefined();
    expect(pages.map((page) => page.length)).toEqual([60, 60, 30]);
    expect(new Set(subsOf(pages)).size).toBe(150);
    const inputs = cognito.commandCalls(ListUsersCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.Limit)).toEqual([60, 60, 60]);
    expect(inputs[0]?.PaginationToken).toBeUndefined();
    expect(inputs[1]?.PaginationToken).toEqual(expect.any(String));
  });

  it('when paced at 4 requests per second, then no two calls are closer than 250 ms', async () => {
    const clock = new ManualClock();
    const callTimes: number[] = [];
    wire(new ListUsersDouble({ size: 300, userAt: (i) => generatedUser(i) }), clock, callTimes);

    await scan({ clock, requestsPerSecond: 4 });

    expect(callTimes).toHaveLength(5);
    const gaps = callTimes.slice(1).map((time, index) => time - (callTimes[index] ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(250);
  });

  it('when ListUsers throttles a page twice, then it backs off with growing delays and the scan completes', async () => {
    const clock = new ManualClock();
    const double = new ListUsersDouble({
      size: 120,
      userAt: (i) => generatedUser(i),
      throttle: (call) => call === 2 || call === 3,
    });
    const retries: number[] = [];
    wire(double, clock);

    const { pages, error } = await scan({
      clock,
      requestsPerSecond: 1000,
      onRetry: ({ delayMs }) => retries.push(delayMs),
    });

    expect(error).toBeUndefined();
    expect(subsOf(pages)).toHaveLength(120);
    expect(double.calls).toBe(4);
    expect(retries).toEqual([250, 500]);
  });

  it.each([
    {
      failure: 'throttling outlasts the retries',
      reason: 'throttled',
      misbehave: { throttle: (call: number) => call >= 3 },
      maxRetries: 2,
      pagesKept: 2,
      calls: 2 + 3,
    },
    {
      failure: 'Cognito fails and keeps failing',
      reason: 'failed',
      misbehave: { fail: (call: number) => call >= 4 },
      maxRetries: 1,
      pagesKept: 3,
      calls: 3 + 2,
    },
  ])(
    'when $failure mid-scan, then the scan ends as $reason after the pages it had',
    async ({ reason, misbehave, maxRetries, pagesKept, calls }) => {
      const clock = new ManualClock();
      const double = new ListUsersDouble({
        size: 600,
        userAt: (i) => generatedUser(i),
        ...misbehave,
      });
      wire(double, clock);

      const { pages, error } = await scan({ clock, maxRetries });

      expect(pages).toHaveLength(pagesKept);
      expect(error).toBeInstanceOf(IncompleteScanError);
      expect((error as IncompleteScanError).reason).toBe(reason);
      expect(double.calls).toBe(calls);
    },
  );

  it('when the pool does not exist, then the scan fails at once without retrying', async () => {
    const clock = new ManualClock();
    cognito.reset();
    cognito
      .on(ListUsersCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'User pool does not exist', $metadata: {} }),
      );

    const { pages, error } = await scan({ clock });

    expect(pages).toHaveLength(0);
    expect((error as IncompleteScanError).reason).toBe('failed');
    expect(cognito.commandCalls(ListUsersCommand)).toHaveLength(1);
  });

  it('when the stop signal fires between pages, then the scan ends as stopped and calls no more', async () => {
    const clock = new ManualClock();
    const double = new ListUsersDouble({ size: 600, userAt: (i) => generatedUser(i) });
    wire(double, clock);
    const stop = new AbortController();

    const { pages, error } = await scan({
      clock,
      signal: stop.signal,
      afterPage: (pagesSoFar) => {
        if (pagesSoFar.length === 2) stop.abort();
      },
    });

    expect(pages).toHaveLength(2);
    expect((error as IncompleteScanError).reason).toBe('stopped');
    expect(double.calls).toBe(2);
  });
});

import type { DeadLetterSender } from '../../consumer/dead-letter';
import type { WorkerConfig } from '../../consumer/create-worker';
import { startLocalSqs, type LocalSqs, type QueuePair } from './local-sqs';
import { startStubApi, type StubApi } from './stub-api';
import { startTestWorker, type TestWorker } from './worker-harness';

export interface QueueTestRig {
  /** One local SQS server for the whole file. */
  readonly localSqs: LocalSqs;
  /** A fresh stub API for each test. */
  readonly api: StubApi;
  /**
   * Names of the commands the server's client sent (`ReceiveMessageCommand`…), in order, since
   * the file started; a test that counts empties it first (`length = 0`).
   */
  readonly sentCommands: string[];
  /** A worker on `queues` against this test's API (see startTestWorker), stopped after the test. */
  startWorker(
    queues: QueuePair,
    overrides?: Partial<WorkerConfig> & { random?: () => number; deadLetters?: DeadLetterSender },
  ): TestWorker;
}

/**
 * The set-up the queue tests share: registers the hooks that start the local SQS server once,
 * a stub API before each test, and after each test stop the workers it started and close the
 * API. Call it in a `describe` body; read the fields inside the tests.
 */
export function useQueueTestRig(): QueueTestRig {
  let localSqs: LocalSqs | undefined;
  let api: StubApi | undefined;
  const sentCommands: string[] = [];
  const running: TestWorker[] = [];

  beforeAll(async () => {
    localSqs = await startLocalSqs();
    localSqs.sqs.middlewareStack.add(
      (next, context) => (args) => {
        sentCommands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
  });

  beforeEach(async () => {
    api = await startStubApi();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(({ worker }) => worker.stop()));
    await api?.close();
    api = undefined;
  });

  afterAll(async () => {
    await localSqs?.stop();
  });

  const rig: QueueTestRig = {
    get localSqs() {
      if (localSqs === undefined) throw new Error('the local SQS server is not started yet');
      return localSqs;
    },
    get api() {
      if (api === undefined) throw new Error('the stub API exists only inside a test');
      return api;
    },
    sentCommands,
    startWorker(queues, overrides = {}) {
      const started = startTestWorker(rig.localSqs, queues, rig.api, overrides);
      running.push(started);
      return started;
    },
  };
  return rig;
}

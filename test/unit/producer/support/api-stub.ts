import { hang, startStubApi, type StubRequest } from '../../../helpers/stub-api';

export { refusedUrl } from '../../../helpers/stub-api';
export type RecordedRequest = StubRequest;

/** What the stub does with a request: answer with a status and JSON body, or never answer. */
export type StubBehaviour = { status: number; body?: unknown } | 'hang';

export interface ApiStub {
  url: string;
  requests: RecordedRequest[];
  /** Changes the answer for subsequent requests. */
  respondWith(behaviour: StubBehaviour): void;
  close(): Promise<void>;
}

/** The shared API stand-in, driven by fixed answers (or none) as the producer tests need. */
export async function startApiStub(initial: StubBehaviour): Promise<ApiStub> {
  const answerFor = (behaviour: StubBehaviour) => () =>
    behaviour === 'hang' ? hang() : Promise.resolve(behaviour);
  const stub = await startStubApi(answerFor(initial));
  return {
    url: stub.url,
    requests: stub.requests,
    respondWith: (next) => stub.setBehaviour(answerFor(next)),
    close: () => stub.close(),
  };
}

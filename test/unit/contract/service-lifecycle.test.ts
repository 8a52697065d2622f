import type { Logger } from '#contract/logger';
import { ConfigError } from '#contract/config';
import { runService, stopOnSignals } from '#contract/service-lifecycle';

type SignalListener = (signal: NodeJS.Signals) => void;

/** Waits (with a deadline) until `condition` holds, letting promise callbacks run meanwhile. */
async function until(condition: () => boolean, deadlineMs = 2000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function recordingLogger() {
  const calls: Array<{ level: 'info' | 'error'; args: unknown[] }> = [];
  const logger = {
    info: (...args: unknown[]) => calls.push({ level: 'info', args }),
    error: (...args: unknown[]) => calls.push({ level: 'error', args }),
  } as unknown as Logger;
  return { logger, calls };
}

describe('stopOnSignals', () => {
  let listeners: Map<string, SignalListener>;
  let exits: number[];

  beforeEach(() => {
    listeners = new Map();
    exits = [];
    jest.spyOn(process, 'on').mockImplementation(((event: string, listener: SignalListener) => {
      listeners.set(event, listener);
      return process;
    }) as typeof process.on);
    jest.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      exits.push(code ?? -1);
    }) as typeof process.exit);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('when started, then it listens for SIGTERM and SIGINT only', () => {
    stopOnSignals(recordingLogger().logger, () => Promise.resolve());

    expect([...listeners.keys()].sort()).toEqual(['SIGINT', 'SIGTERM']);
  });

  it('when the first signal arrives, then the service stops once and exits 0; later signals only log', async () => {
    const { logger, calls } = recordingLogger();
    let stops = 0;
    stopOnSignals(logger, () => {
      stops += 1;
      return Promise.resolve();
    });

    listeners.get('SIGINT')?.('SIGINT');
    listeners.get('SIGTERM')?.('SIGTERM');
    await until(() => exits.length > 0);

    expect(stops).toBe(1);
    expect(exits).toEqual([0]);
    expect(calls).toEqual([
      { level: 'info', args: [{ signal: 'SIGINT' }, 'shutting down'] },
      { level: 'info', args: [{ signal: 'SIGTERM' }, 'already stopping'] },
      { level: 'info', args: ['stopped'] },
    ]);
  });

  it('when the stop fails, then the failure is logged and the process exits 1', async () => {
    const { logger, calls } = recordingLogger();
    const failure = new Error('drain failed');
    stopOnSignals(logger, () => Promise.reject(failure));

    listeners.get('SIGTERM')?.('SIGTERM');
    await until(() => exits.length > 0);

    expect(exits).toEqual([1]);
    expect(calls).toEqual([
      { level: 'info', args: [{ signal: 'SIGTERM' }, 'shutting down'] },
      { level: 'error', args: [{ err: failure }, 'shutdown failed'] },
    ]);
  });
});

describe('runService', () => {
  let exits: number[];
  let written: string[];

  beforeEach(() => {
    exits = [];
    written = [];
    jest.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      exits.push(code ?? -1);
    }) as typeof process.exit);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('when start-up succeeds, then nothing is printed and the process keeps running', async () => {
    let started = false;
    runService('api', () => {
      started = true;
      return Promise.resolve();
    });
    await until(() => started);
    await new Promise((resolve) => setImmediate(resolve));

    expect(exits).toEqual([]);
    expect(written).toEqual([]);
  });

  it('when the configuration is invalid, then one line names the service and the problem, without a stack, and it exits 1', async () => {
    runService('consumer', () =>
      Promise.reject(new ConfigError('Invalid configuration: QUEUE_URL: required')),
    );
    await until(() => exits.length > 0);

    expect(exits).toEqual([1]);
    expect(written).toEqual(['consumer: Invalid configuration: QUEUE_URL: required\n']);
  });

  it('when start-up fails otherwise, then the stack is printed', async () => {
    const failure = new Error('port in use');
    failure.stack = 'Error: port in use\n    at listen (net.js:1:1)';
    runService('api', () => Promise.reject(failure));
    await until(() => exits.length > 0);

    expect(exits).toEqual([1]);
    expect(written).toEqual(['api: Error: port in use\n    at listen (net.js:1:1)\n']);
  });

  it('when the error has no stack, or is no error at all, then its message or text is printed', async () => {
    const stackless = new Error('no stack here');
    stackless.stack = undefined;
    runService('api', () => Promise.reject(stackless));
    runService('reconciler', () => Promise.reject(new Error('x').message.length));
    await until(() => exits.length > 1);

    expect(exits).toEqual([1, 1]);
    expect(written).toEqual(['api: no stack here\n', 'reconciler: 1\n']);
  });
});

import pino from 'pino';
import { createServiceLogger } from '#contract/logger';
import { memoryLogStream } from '../../helpers/memory-log-stream';

/** Routes the logger's destination into memory, and records how it was asked for. */
function captureDestination() {
  const { stream, lines } = memoryLogStream();
  const destination = jest
    .spyOn(pino, 'destination')
    .mockImplementation(() => stream as unknown as ReturnType<typeof pino.destination>);
  return { destination, lines };
}

describe('service logger', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('when created with defaults, then it writes asynchronously to stdout at info with the service and an ISO time', () => {
    const capture = captureDestination();

    const logger = createServiceLogger('consumer');
    logger.debug('hidden');
    logger.info({ queued: 3 }, 'started');

    expect(capture.destination).toHaveBeenCalledWith({ dest: 1, sync: false });
    expect(logger.level).toBe('info');
    const lines = capture.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, service: 'consumer', queued: 3, msg: 'started' });
    expect(String(lines[0]?.['time'])).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('when given a level and stderr, then both are used', () => {
    const capture = captureDestination();

    const logger = createServiceLogger('reconciler', 'debug', 2);
    logger.debug('shown');

    expect(capture.destination).toHaveBeenCalledWith({ dest: 2, sync: false });
    expect(capture.lines()).toEqual([
      expect.objectContaining({ level: 20, service: 'reconciler', msg: 'shown' }),
    ]);
  });

  it('when a line carries headers or secret fields, at the top or one level down, then they are censored', () => {
    const capture = captureDestination();
    const secret = 'a-header-value-that-must-never-be-logged';

    createServiceLogger('api').info(
      {
        headers: { 'x-custom-auth': secret },
        secret,
        headerValue: secret,
        request: {
          headers: { 'x-custom-auth': secret },
          secret,
          headerValue: secret,
          path: '/user',
        },
      },
      'request',
    );

    const [line] = capture.lines();
    expect(JSON.stringify(line)).not.toContain(secret);
    expect(line).toMatchObject({
      headers: '[redacted]',
      secret: '[redacted]',
      headerValue: '[redacted]',
      request: {
        headers: '[redacted]',
        secret: '[redacted]',
        headerValue: '[redacted]',
        path: '/user',
      },
    });
  });
});

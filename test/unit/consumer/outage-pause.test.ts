import type { ReadinessResult } from '#contract/readiness-probe';
import type { ConsumerMetrics } from '../../../consumer/consumer-metrics';
import { createOutagePause } from '../../../consumer/outage-pause';
import { capturingLogger } from './support/log-lines';
import { manualClock } from './support/manual-clock';

const PROBE_INTERVAL_MS = 1000;
const down: ReadinessResult = { ready: false, detail: 'connect ECONNREFUSED' };
const up: ReadinessResult = { ready: true, status: 200, detail: 'ready' };

function setUp(firstAnswers: ReadinessResult[] = [down]) {
  const clock = manualClock();
  const { logger, lines } = capturingLogger();
  const answers = [...firstAnswers];
  let fallback: ReadinessResult = down;
  let probes = 0;
  const published: Array<[string, number?]> = [];
  const metrics: ConsumerMetrics = {
    paused: () => published.push(['paused']),
    resumed: (seconds) => published.push(['resumed', seconds]),
    serverDefect: () => published.push(['serverDefect']),
  };
  const pause = createOutagePause({
    probe: () => {
      probes += 1;
      return Promise.resolve(answers.shift() ?? fallback);
    },
    probeIntervalMs: PROBE_INTERVAL_MS,
    clock,
    logger,
    metrics,
  });
  return {
    pause,
    clock,
    lines,
    published,
    probes: () => probes,
    answerFromNowOn: (result: ReadinessResult) => {
      fallback = result;
    },
  };
}

describe('outage pause', () => {
  it('when a delivery suggests the API is down and the probe gets no answer, then the worker pauses, logs it and counts it', async () => {
    const { pause, lines, published } = setUp([down]);

    const paused = await pause.confirmDown();

    expect(paused).toBe(true);
    expect(pause.isPaused).toBe(true);
    expect(published).toEqual([['paused']]);
    expect(lines()).toContainEqual(
      expect.objectContaining({ msg: 'consumer paused', probeDetail: down.detail }),
    );
  });

  it("when the probe finds the API ready, then the failure was the message's own and nothing pauses", async () => {
    const { pause, published } = setUp([up]);

    expect(await pause.confirmDown()).toBe(false);
    expect(pause.isPaused).toBe(false);
    expect(published).toEqual([]);
    await expect(pause.whenResumed()).resolves.toBeUndefined();
  });

  it('when many deliveries fail at once, then they share one probe', async () => {
    const { pause, probes } = setUp([down]);

    const verdicts = await Promise.all([
      pause.confirmDown(),
      pause.confirmDown(),
      pause.confirmDown(),
    ]);

    expect(verdicts).toEqual([true, true, true]);
    expect(probes()).toBe(1);
    expect(await pause.confirmDown()).toBe(true);
    expect(probes()).toBe(1);
  });

  it('when paused, then it probes once per interval and resumes at the first ready answer, with the outage length', async () => {
    const { pause, clock, lines, published, probes, answerFromNowOn } = setUp([down]);
    await pause.confirmDown();
    let resumed = false;
    void pause.whenResumed().then(() => (resumed = true));

    await clock.advance(PROBE_INTERVAL_MS);
    await clock.advance(PROBE_INTERVAL_MS);
    const probesWhileDown = probes();
    answerFromNowOn(up);
    await clock.advance(PROBE_INTERVAL_MS);

    expect(probesWhileDown).toBe(3);
    expect(resumed).toBe(true);
    expect(pause.isPaused).toBe(false);
    expect(published).toEqual([['paused'], ['resumed', 3]]);
    expect(lines()).toContainEqual(
      expect.objectContaining({ msg: 'consumer resumed', outageSeconds: 3 }),
    );
    // Resumed: no more probing.
    await clock.advance(10 * PROBE_INTERVAL_MS);
    expect(probes()).toBe(4);
    expect(clock.sleepers).toBe(0);
  });

  it('when closed while paused, then the waiting receive loops are released and probing stops', async () => {
    const { pause, clock, probes } = setUp([down]);
    await pause.confirmDown();
    let released = false;
    void pause.whenResumed().then(() => (released = true));

    pause.close();
    await clock.advance(0);
    await clock.advance(10 * PROBE_INTERVAL_MS);

    expect(released).toBe(true);
    expect(pause.isPaused).toBe(false);
    expect(clock.sleepers).toBe(0);
    // Deliveries finishing during the stop still learn the API is down, without a new probe.
    expect(await pause.confirmDown()).toBe(true);
    expect(probes()).toBe(1);
  });
});

describe('outage pause, edges', () => {
  it('when paused, then the log carries the probe status, detail and interval, at warn', async () => {
    const unavailable: ReadinessResult = { ready: false, status: 503, detail: 'HTTP 503' };
    const { pause, lines } = setUp([unavailable]);

    await pause.confirmDown();

    expect(lines()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'consumer paused',
        probeStatus: 503,
        probeDetail: 'HTTP 503',
        probeIntervalMs: PROBE_INTERVAL_MS,
      }),
    ]);
  });

  it('when the API was never down, then whenResumed resolves at once and nothing is probed in the background', async () => {
    const { pause, clock, probes } = setUp([]);

    await expect(pause.whenResumed()).resolves.toBeUndefined();
    await clock.advance(10 * PROBE_INTERVAL_MS);

    expect(probes()).toBe(0);
    expect(clock.sleepers).toBe(0);
  });

  it('when closed before any failure, then a failure no longer probes and is not taken as an outage', async () => {
    const { pause, probes, published } = setUp([down]);

    pause.close();

    expect(await pause.confirmDown()).toBe(false);
    expect(probes()).toBe(0);
    expect(pause.isPaused).toBe(false);
    expect(published).toEqual([]);
  });

  it('when a close comes while the probe is out, then the API is reported down but nothing pauses', async () => {
    let answer: (result: ReadinessResult) => void = () => undefined;
    const clock = manualClock();
    const { logger, lines } = capturingLogger();
    const published: string[] = [];
    const pause = createOutagePause({
      probe: () => new Promise<ReadinessResult>((resolve) => (answer = resolve)),
      probeIntervalMs: PROBE_INTERVAL_MS,
      clock,
      logger,
      metrics: {
        paused: () => published.push('paused'),
        resumed: () => published.push('resumed'),
        serverDefect: () => published.push('serverDefect'),
      },
    });

    const verdict = pause.confirmDown();
    pause.close();
    answer(down);

    expect(await verdict).toBe(true);
    expect(pause.isPaused).toBe(false);
    expect(published).toEqual([]);
    expect(lines()).toEqual([]);
    expect(clock.sleepers).toBe(0);
  });

  it('when the outage ends within the first interval, then its length is that interval, in seconds with fractions', async () => {
    const { pause, clock, published, answerFromNowOn } = setUp([down]);
    await pause.confirmDown();
    answerFromNowOn(up);
    await clock.advance(250);
    expect(published).toEqual([['paused']]);

    await clock.advance(PROBE_INTERVAL_MS - 250);

    expect(published).toEqual([['paused'], ['resumed', 1]]);
  });

  it('when a probe after the pause is shared, then a second failure while paused costs no probe', async () => {
    const { pause, probes } = setUp([down]);
    await pause.confirmDown();

    expect(await pause.confirmDown()).toBe(true);
    expect(probes()).toBe(1);
  });
});

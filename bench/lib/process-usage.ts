import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Memory and CPU of one process as Linux reports it in /proc. Sizes in KiB, CPU in seconds. */
export interface ProcessUsage {
  /** Peak resident set size over the process's whole life (VmHWM). */
  peakRssKiB: number;
  /** Resident set size when read (VmRSS). */
  rssKiB: number;
  /** User + system CPU time consumed so far. */
  cpuSeconds: number;
}

// USER_HZ is 100 on every Linux architecture Node supports; /proc/<pid>/stat counts in it.
const CLOCK_TICKS_PER_SECOND = 100;

const kibField = (status: string, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
};

/**
 * Reads /proc/<pid>/status and /proc/<pid>/stat; `'self'` reads the calling process. Returns
 * undefined when the process is gone (or /proc is not there), so callers sampling a child that
 * has just exited keep their last good reading.
 */
export function readProcessUsage(pid: number | 'self'): ProcessUsage | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces; fields are counted after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return {
      peakRssKiB: kibField(status, 'VmHWM'),
      rssKiB: kibField(status, 'VmRSS'),
      cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** A running sampler; `stop()` returns the readings taken so far. */
export interface ProcessSampler {
  /** Last successful reading (its peakRssKiB is the peak over the process's life). */
  last(): ProcessUsage | undefined;
  /** Highest VmRSS seen by the sampler itself, in case VmHWM was reset or unavailable. */
  maxSampledRssKiB(): number;
  stop(): ProcessUsage | undefined;
}

/**
 * Samples a process every `intervalMs` (default 250 ms). VmHWM is already a high-water mark,
 * so sampling only matters to keep a reading if the process dies before the end.
 */
export function sampleProcess(pid: number | 'self', intervalMs = 250): ProcessSampler {
  let last = readProcessUsage(pid);
  let maxRss = last?.rssKiB ?? 0;
  const take = (): void => {
    const reading = readProcessUsage(pid);
    if (reading === undefined) return;
    last = reading;
    maxRss = Math.max(maxRss, reading.rssKiB);
  };
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    last: () => last,
    maxSampledRssKiB: () => maxRss,
    stop: () => {
      clearInterval(timer);
      take();
      return last;
    },
  };
}

/** Busy and total CPU time of the whole machine, summed over all cores, in ms. */
export interface MachineCpuTimes {
  busyMs: number;
  totalMs: number;
}

/** Reads the machine's CPU counters; diff two readings with `busyShare`. */
export function machineCpuTimes(): MachineCpuTimes {
  let busyMs = 0;
  let totalMs = 0;
  for (const { times } of os.cpus()) {
    const total = times.user + times.nice + times.sys + times.idle + times.irq;
    busyMs += total - times.idle;
    totalMs += total;
  }
  return { busyMs, totalMs };
}

/**
 * Share of all cores that were busy between two readings (0..1), whoever used them: other work on
 * a shared machine shows up here, which is why benches record it beside their figures.
 */
export function busyShare(before: MachineCpuTimes, after: MachineCpuTimes): number {
  const total = after.totalMs - before.totalMs;
  return total > 0 ? (after.busyMs - before.busyMs) / total : Number.NaN;
}

import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What a result was measured on; results from different machines are not comparable. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryMiB: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the bench started: a busy machine skews everything. */
  loadAverageAtStart: number[];
}

/** Describes this machine; call at the start of a bench so the load average means something. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((load) => Number(load.toFixed(2))),
  };
}

/** The folder result files are written to, committed so runs can be compared in history. */
export const RESULTS_DIR = path.resolve(__dirname, '..', 'results');

/** Writes `bench/results/<name>.json` (stable key order as given, 2-space indent); returns its path. */
export async function writeResult(name: string, result: object): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/**
 * Prints one figure with its reference beside it, aligned, e.g.
 * `throughput                      1234.5 req/s   pgbench 2345.6 tx/s`.
 */
export function printFigure(label: string, value: string, reference?: string): void {
  const left = `${label.padEnd(32)} ${value.padStart(14)}`;
  console.log(reference === undefined ? left : `${left}   ${reference}`);
}

/** KiB → MiB with one decimal, for display. */
export const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

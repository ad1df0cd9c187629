import { cpus, loadavg } from 'node:os';

// What every benchmark's report shares: rounding, an error as one line, and
// the machine the figures were measured on (2 shared cores: the load average
// before and after says how much to trust them).

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `machine` part of a final JSON line; loadBefore is loadavg()[0] taken when the run started. */
export function machineInfo(loadBefore: number): {
  cpus: number;
  loadavg1Before: number;
  loadavg1After: number;
} {
  return {
    cpus: cpus().length,
    loadavg1Before: round2(loadBefore),
    loadavg1After: round2(loadavg()[0] ?? 0),
  };
}

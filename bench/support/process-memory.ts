import { readFileSync } from 'node:fs';

// Peak memory of a process the bench started, as the kernel counts it:
// VmHWM in /proc/<pid>/status is the resident set's high-water mark, so it
// covers the whole life of the process however seldom the bench looks.
// VmRSS is the resident set at the moment.

/** VmHWM of the process in bytes; undefined once it exited (or not Linux). */
export function peakRssBytes(pid: number): number | undefined {
  return statusKiB(pid, 'VmHWM');
}

/** VmRSS, the resident set now, in bytes: a process's baseline before the work to be measured. */
export function rssBytes(pid: number): number | undefined {
  return statusKiB(pid, 'VmRSS');
}

function statusKiB(pid: number, field: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}

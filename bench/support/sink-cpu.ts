import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

// CPU spent during a phase: by this process (the floor's client, or the sink,
// which runs in-process) and by the API server and etcd, read from /proc. On
// a 2-core machine the server side and the client compete for the same
// cores, so a throughput figure is read together with where the CPU went.
// Percentages are of one core (200 % = both cores of a 2-core machine).

/** The processes the stack runs for Kubernetes' write path, by their /proc comm. */
const SERVER_PROCESSES = ['kube-apiserver', 'etcd'] as const;

export interface CpuFigures {
  /** This process: user + system CPU ÷ wall time, in % of one core. */
  processPct: number;
  processCpuSeconds: number;
  /** Per server process, % of one core; absent where /proc cannot be read (not Linux). */
  serversPct?: Partial<Record<(typeof SERVER_PROCESSES)[number], number>>;
  /** Per group of processes this process started (e.g. "rowkube replicas"), % of one core, summed over the group. */
  childrenPct?: Record<string, number>;
}

/** Processes to measure besides this one and the servers: pids by group name. */
export type WatchedPids = Record<string, readonly number[]>;

/** Starts measuring; the returned function gives the figures since the start. */
export function startCpuMeter(children: WatchedPids = {}): () => CpuFigures {
  const wallStart = performance.now();
  const processStart = process.cpuUsage();
  const serversStart = serverTicks();
  const childrenStart = groupTicks(children);
  return () => {
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const used = process.cpuUsage(processStart);
    const processCpuSeconds = (used.user + used.system) / 1e6;
    const figures: CpuFigures = {
      processPct: pct(processCpuSeconds, wallSeconds),
      processCpuSeconds: Math.round(processCpuSeconds * 100) / 100,
    };
    const serversEnd = serverTicks();
    if (serversStart !== undefined && serversEnd !== undefined) {
      const ticksPerSecond = clockTicks();
      figures.serversPct = {};
      for (const name of SERVER_PROCESSES) {
        const start = serversStart.get(name);
        const end = serversEnd.get(name);
        if (start !== undefined && end !== undefined)
          figures.serversPct[name] = pct((end - start) / ticksPerSecond, wallSeconds);
      }
    }
    const childrenEnd = groupTicks(children);
    if (Object.keys(children).length > 0) {
      figures.childrenPct = {};
      for (const name of Object.keys(children))
        figures.childrenPct[name] = pct(
          ((childrenEnd.get(name) ?? 0) - (childrenStart.get(name) ?? 0)) / clockTicks(),
          wallSeconds,
        );
    }
    return figures;
  };
}

/** A process's user + system CPU seconds so far, from /proc/<pid>/stat; undefined once it exited (or not Linux). */
export function pidCpuSeconds(pid: number): number | undefined {
  const ticks = processTicks(String(pid));
  return ticks === undefined ? undefined : ticks.used / clockTicks();
}

/** utime + stime in clock ticks per group, summed over its pids (a pid that exited counts 0). */
function groupTicks(children: WatchedPids): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const [name, pids] of Object.entries(children))
    ticks.set(
      name,
      pids.reduce((sum, pid) => sum + (processTicks(String(pid))?.used ?? 0), 0),
    );
  return ticks;
}

/** A process's comm and utime + stime in clock ticks, from /proc/<pid>/stat; undefined if unreadable. */
function processTicks(pid: string): { comm: string; used: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile, or not Linux
  }
  // "pid (comm) state …": comm may hold spaces, so split after its ')'.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after "state".
  return { comm: stat.slice(open + 1, close), used: Number(fields[11]) + Number(fields[12]) };
}

function pct(cpuSeconds: number, wallSeconds: number): number {
  return wallSeconds > 0 ? Math.round((cpuSeconds / wallSeconds) * 1000) / 10 : 0;
}

/** utime + stime in clock ticks per server process name (summed over processes of that name). */
function serverTicks(): Map<string, number> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  const ticks = new Map<string, number>();
  for (const pid of pids) {
    const stat = processTicks(pid);
    if (stat === undefined || !(SERVER_PROCESSES as readonly string[]).includes(stat.comm)) continue;
    ticks.set(stat.comm, (ticks.get(stat.comm) ?? 0) + stat.used);
  }
  return ticks;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // Linux's USER_HZ on every common architecture
    }
  }
  return ticksPerSecond;
}

/** CPU figures as one line of a report. */
export function cpuLine(cpu: CpuFigures): string {
  const servers = Object.entries({ ...cpu.childrenPct, ...cpu.serversPct })
    .map(([name, pct]) => `, ${name} ${pct} %`)
    .join('');
  return `this process ${cpu.processPct} %${servers} (of one core)`;
}

import { readFileSync } from 'node:fs';

// Where a CPU profile's time went (a .cpuprofile from BENCH_CPU_PROFILE or
// node --cpu-prof): self time by function and by module, time by rowkube
// area (the innermost project frame of each sample, so a library's time
// counts for the part of rowkube that called it), and the longest busy
// stretches (consecutive samples without idle: how long the event loop was
// held, and by what). bench/cpu-summary.ts prints it.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface TimeShare {
  name: string;
  ms: number;
  /** Of the busy (non-idle) time, %. */
  pct: number;
}

export interface BusyStretch {
  /** From the profile's start, s. */
  atSeconds: number;
  ms: number;
  /** The areas and functions that took most of it. */
  areas: TimeShare[];
  functions: TimeShare[];
}

export interface CpuSummary {
  seconds: number;
  busySeconds: number;
  /** V8's idle: the loop waited for I/O or timers. */
  idleSeconds: number;
  gcSeconds: number;
  byFunction: TimeShare[];
  byModule: TimeShare[];
  byArea: TimeShare[];
  longestBusy: BusyStretch[];
}

export interface SummaryOptions {
  /** Only the samples from..to seconds after the profile's start. */
  fromSeconds?: number;
  toSeconds?: number;
  /** Stretches to list. */
  stretches?: number;
}

const IDLE = '(idle)';
const GC = '(garbage collector)';

/** The module a frame's url belongs to: a package, a project file, a Node built-in or V8's own. */
export function moduleOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.replace(/^file:\/\//, '');
  const packages = path.lastIndexOf('/node_modules/');
  if (packages >= 0) {
    const rest = path.slice(packages + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  const project = path.match(/\/((?:src|connectors|bench|support)\/.*)$/);
  return project?.[1] ?? path;
}

/** The rowkube area of a project module (src/sink/runner/x.ts → src/sink/runner), undefined for others. */
export function areaOf(module: string): string | undefined {
  const parts = module.split('/');
  if (parts[0] !== 'src' && parts[0] !== 'connectors') return undefined;
  return parts.slice(0, Math.min(3, parts.length - 1)).join('/');
}

export function readCpuProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function summarizeCpuProfile(profile: CpuProfile, options: SummaryOptions = {}): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const areaMemo = new Map<number, string>();
  /** The innermost project frame's area on the stack of a node, else its own module. */
  const areaOfNode = (id: number): string => {
    const known = areaMemo.get(id);
    if (known !== undefined) return known;
    let area: string | undefined;
    for (let at: number | undefined = id; at !== undefined && area === undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node !== undefined) area = areaOf(moduleOf(node.callFrame.url));
    }
    const leaf = byId.get(id)?.callFrame;
    const result = area ?? (leaf === undefined ? '?' : `(outside rowkube) ${moduleOf(leaf.url)}`);
    areaMemo.set(id, result);
    return result;
  };
  const fnName = (f: CallFrame) =>
    f.url === ''
      ? f.functionName || '(anonymous)'
      : `${f.functionName || '(anonymous)'} ${moduleOf(f.url)}:${f.lineNumber + 1}`;

  const from = (options.fromSeconds ?? 0) * 1e6;
  const to = (options.toSeconds ?? Number.POSITIVE_INFINITY) * 1e6;
  const fns = new Map<string, number>();
  const modules = new Map<string, number>();
  const areas = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  let total = 0;
  // A stretch: consecutive non-idle samples.
  const stretches: { at: number; us: number; samples: Array<[number, number]> }[] = [];
  let current: { at: number; us: number; samples: Array<[number, number]> } | undefined;
  let time = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample's weight is the time to the next one.
    const weight = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    if (time < from || time > to) continue;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined) continue;
    total += weight;
    if (node.callFrame.functionName === IDLE) {
      idle += weight;
      if (current !== undefined) stretches.push(current);
      current = undefined;
      continue;
    }
    if (node.callFrame.functionName === GC) gc += weight;
    const name = fnName(node.callFrame);
    fns.set(name, (fns.get(name) ?? 0) + weight);
    const module = node.callFrame.url === '' ? node.callFrame.functionName : moduleOf(node.callFrame.url);
    modules.set(module, (modules.get(module) ?? 0) + weight);
    const area = areaOfNode(node.id);
    areas.set(area, (areas.get(area) ?? 0) + weight);
    current ??= { at: time, us: 0, samples: [] };
    current.us += weight;
    current.samples.push([node.id, weight]);
  }
  if (current !== undefined) stretches.push(current);
  const busy = total - idle;
  const shares = (map: Map<string, number>, limit: number): TimeShare[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 100) / 10,
        pct: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0,
      }));
  const longestBusy = stretches
    .sort((a, b) => b.us - a.us)
    .slice(0, options.stretches ?? 5)
    .map((s) => {
      const stretchAreas = new Map<string, number>();
      const stretchFns = new Map<string, number>();
      for (const [id, us] of s.samples) {
        const area = areaOfNode(id);
        stretchAreas.set(area, (stretchAreas.get(area) ?? 0) + us);
        const f = byId.get(id)?.callFrame;
        if (f !== undefined) stretchFns.set(fnName(f), (stretchFns.get(fnName(f)) ?? 0) + us);
      }
      const local = (map: Map<string, number>) =>
        [...map]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([name, us]) => ({
            name,
            ms: Math.round(us / 100) / 10,
            pct: Math.round((us / s.us) * 1000) / 10,
          }));
      return {
        atSeconds: Math.round(s.at / 1e5) / 10,
        ms: Math.round(s.us / 100) / 10,
        areas: local(stretchAreas),
        functions: local(stretchFns),
      };
    });
  const seconds = (us: number) => Math.round(us / 1e4) / 100;
  return {
    seconds: seconds(total),
    busySeconds: seconds(busy),
    idleSeconds: seconds(idle),
    gcSeconds: seconds(gc),
    byFunction: shares(fns, 40),
    byModule: shares(modules, 25),
    byArea: shares(areas, 25),
    longestBusy,
  };
}

import { readFileSync } from 'node:fs';

// Where a process's memory goes, from a V8 heap snapshot (`node
// --heapsnapshot-signal`, written by the process itself): the retained size of
// each holder, i.e. what the heap would lose if that object went — the
// dominator tree DevTools shows, computed here so a bench can print it as
// figures. The file is read as bytes and its number arrays parsed into typed
// arrays, since the JSON text of a large heap exceeds what one JS string can
// hold. Dominators by Cooper, Harvey and Kennedy's iterative algorithm over a
// depth-first order from the snapshot's root; weak edges hold nothing.

export interface HeapHolder {
  /** `Class.property` (and `.property` again for a plain object one level down). */
  holder: string;
  retainedBytes: number;
}

export interface HeapSummary {
  /** Every object reachable from the root: what a full GC keeps. */
  liveBytes: number;
  nodes: number;
  /** Each instance of the named classes and each of its properties it dominates, largest first. */
  holders: HeapHolder[];
  /** Self sizes summed by constructor (or type) name, largest first: what the heap is made of. */
  byConstructor: { name: string; selfBytes: number; count: number }[];
}

interface Snapshot {
  nodeFields: number;
  types: string[];
  edgeTypes: string[];
  nodes: Uint32Array;
  edges: Uint32Array;
  strings: string[];
  typeOffset: number;
  nameOffset: number;
  sizeOffset: number;
  edgeCountOffset: number;
}

/** Numbers of the JSON array that starts after `key` in the file, as a typed array of `count` entries. */
function numberArray<T extends Float64Array | Uint32Array>(buffer: Buffer, key: string, out: T): T {
  let at = buffer.indexOf(`"${key}":[`);
  if (at < 0) throw new Error(`heap snapshot: no "${key}" array`);
  at += key.length + 4;
  let n = 0;
  let value = 0;
  let inNumber = false;
  for (; at < buffer.length; at += 1) {
    const c = buffer[at] as number;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      inNumber = true;
    } else {
      if (inNumber) {
        out[n] = value;
        n += 1;
        value = 0;
        inNumber = false;
      }
      if (c === 93) break; // ]
    }
  }
  if (n !== out.length)
    throw new Error(`heap snapshot: "${key}" has ${n} numbers, the header says ${out.length}`);
  return out;
}

function readSnapshot(path: string): Snapshot {
  const buffer = readFileSync(path);
  const headerEnd = buffer.indexOf('"nodes":[');
  const header = JSON.parse(`${buffer.subarray(0, headerEnd).toString().replace(/,\s*$/, '')}}`) as {
    snapshot: {
      meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
      node_count: number;
      edge_count: number;
    };
  };
  const { meta, node_count, edge_count } = header.snapshot;
  const nodeFields = meta.node_fields.length;
  const nodes = numberArray(buffer, 'nodes', new Uint32Array(node_count * nodeFields));
  const edges = numberArray(buffer, 'edges', new Uint32Array(edge_count * meta.edge_fields.length));
  const stringsAt = buffer.indexOf('"strings":[');
  const stringsEnd = buffer.lastIndexOf(']');
  const strings = JSON.parse(buffer.subarray(stringsAt + 10, stringsEnd + 1).toString()) as string[];
  return {
    nodeFields,
    types: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    nodes,
    edges,
    strings,
    typeOffset: meta.node_fields.indexOf('type'),
    nameOffset: meta.node_fields.indexOf('name'),
    sizeOffset: meta.node_fields.indexOf('self_size'),
    edgeCountOffset: meta.node_fields.indexOf('edge_count'),
  };
}

/** Summarizes a heap snapshot file; `classes` names the holders to report (e.g. 'OwnedCache'). */
export function summarizeHeapSnapshot(path: string, classes: readonly string[]): HeapSummary {
  const s = readSnapshot(path);
  const n = s.nodes.length / s.nodeFields;
  const field = (node: number, offset: number) => s.nodes[node * s.nodeFields + offset] as number;
  const selfSize = (node: number) => field(node, s.sizeOffset);
  const typeName = (node: number) => s.types[field(node, s.typeOffset)] ?? '?';
  const name = (node: number) => s.strings[field(node, s.nameOffset)] ?? '?';
  // First edge of each node (edges are stored in node order), 3 fields each.
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0; i < n; i += 1)
    firstEdge[i + 1] = (firstEdge[i] as number) + field(i, s.edgeCountOffset) * 3;
  const weak = s.edgeTypes.indexOf('weak');
  const shortcut = s.edgeTypes.indexOf('shortcut');
  const strong = (e: number) => s.edges[e] !== weak && s.edges[e] !== shortcut;
  const target = (e: number) => (s.edges[e + 2] as number) / s.nodeFields;

  // Depth-first postorder from the root (node 0).
  const post = new Int32Array(n).fill(-1);
  const order = new Uint32Array(n); // postorder number → node
  const stackNode = new Uint32Array(n);
  const stackEdge = new Uint32Array(n);
  const seen = new Uint8Array(n);
  let depth = 0;
  let count = 0;
  stackNode[0] = 0;
  stackEdge[0] = firstEdge[0] as number;
  seen[0] = 1;
  depth = 1;
  while (depth > 0) {
    const node = stackNode[depth - 1] as number;
    const e = stackEdge[depth - 1] as number;
    if (e < (firstEdge[node + 1] as number)) {
      stackEdge[depth - 1] = e + 3;
      if (!strong(e)) continue;
      const to = target(e);
      if (seen[to] === 1) continue;
      seen[to] = 1;
      stackNode[depth] = to;
      stackEdge[depth] = firstEdge[to] as number;
      depth += 1;
    } else {
      post[node] = count;
      order[count] = node;
      count += 1;
      depth -= 1;
    }
  }
  // Predecessors (reachable ones, over strong edges), as compressed rows.
  const predStart = new Uint32Array(n + 1);
  for (let from = 0; from < n; from += 1) {
    if (post[from] === -1) continue;
    for (let e = firstEdge[from] as number; e < (firstEdge[from + 1] as number); e += 3)
      if (strong(e)) {
        const slot = target(e) + 1;
        predStart[slot] = (predStart[slot] as number) + 1;
      }
  }
  for (let i = 0; i < n; i += 1) predStart[i + 1] = (predStart[i + 1] as number) + (predStart[i] as number);
  const preds = new Uint32Array(predStart[n] as number);
  const fill = predStart.slice(0, n);
  for (let from = 0; from < n; from += 1) {
    if (post[from] === -1) continue;
    for (let e = firstEdge[from] as number; e < (firstEdge[from + 1] as number); e += 3)
      if (strong(e)) {
        const to = target(e);
        preds[fill[to] as number] = from;
        fill[to] = (fill[to] as number) + 1;
      }
  }
  // Immediate dominators by postorder number; the root is its own.
  const idom = new Int32Array(count).fill(-1);
  const root = count - 1;
  idom[root] = root;
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = root - 1; b >= 0; b -= 1) {
      const node = order[b] as number;
      let next = -1;
      for (let p = predStart[node] as number; p < (predStart[node + 1] as number); p += 1) {
        let a = post[preds[p] as number] as number;
        if (idom[a] === -1) continue;
        if (next === -1) {
          next = a;
          continue;
        }
        let c = next;
        while (a !== c) {
          while (a < c) a = idom[a] as number;
          while (c < a) c = idom[c] as number;
        }
        next = a;
      }
      if (next !== -1 && idom[b] !== next) {
        idom[b] = next;
        changed = true;
      }
    }
  }
  // Retained sizes: a node is dominated only by nodes later in postorder.
  const retained = new Float64Array(count);
  for (let b = 0; b < count; b += 1) retained[b] = (retained[b] as number) + selfSize(order[b] as number);
  for (let b = 0; b < root; b += 1) {
    const up = idom[b] as number;
    retained[up] = (retained[up] as number) + (retained[b] as number);
  }

  const wanted = new Set(classes);
  const holders: HeapHolder[] = [];
  const edgeName = (e: number) => {
    const type = s.edgeTypes[s.edges[e] as number];
    const nameOrIndex = s.edges[e + 1] as number;
    return type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : (s.strings[nameOrIndex] ?? '?');
  };
  const dominated = (node: number, by: number) => idom[post[node] as number] === post[by];
  const addChildren = (node: number, label: string, levels: number) => {
    for (let e = firstEdge[node] as number; e < (firstEdge[node + 1] as number); e += 3) {
      if (!strong(e)) continue;
      const to = target(e);
      if (post[to] === -1 || !dominated(to, node)) continue;
      const bytes = retained[post[to] as number] as number;
      if (bytes < 64 * 1024) continue;
      const child = `${label}.${edgeName(e)}`;
      holders.push({ holder: child, retainedBytes: bytes });
      if (levels > 1 && typeName(to) === 'object' && name(to) === 'Object')
        addChildren(to, child, levels - 1);
    }
  };
  for (let b = 0; b < count; b += 1) {
    const node = order[b] as number;
    if (typeName(node) !== 'object' || !wanted.has(name(node))) continue;
    holders.push({ holder: name(node), retainedBytes: retained[b] as number });
    addChildren(node, name(node), 2);
  }
  holders.sort((a, b) => b.retainedBytes - a.retainedBytes);

  const byName = new Map<string, { selfBytes: number; count: number }>();
  for (let b = 0; b < count; b += 1) {
    const node = order[b] as number;
    const type = typeName(node);
    const key = type === 'object' || type === 'closure' ? name(node) : `(${type})`;
    const entry = byName.get(key) ?? { selfBytes: 0, count: 0 };
    entry.selfBytes += selfSize(node);
    entry.count += 1;
    byName.set(key, entry);
  }
  const byConstructor = [...byName]
    .map(([key, entry]) => ({ name: key, ...entry }))
    .sort((a, b) => b.selfBytes - a.selfBytes)
    .slice(0, 25);
  return { liveBytes: retained[root] as number, nodes: count, holders, byConstructor };
}

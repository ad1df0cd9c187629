import { StringDecoder } from 'node:string_decoder';
import type { KubeObject } from './kube-object.js';

// A watch answer is a stream of JSON documents, one a line, split across
// chunks anywhere (even inside a multi-byte character). This turns chunks
// into events and an in-stream ERROR into a thrown WatchError, so the
// reflector sees only objects, bookmarks and failures.

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/**
 * The server ended the watch with an error. `gone` (HTTP 410): the
 * resourceVersion asked for is older than the server keeps; only a new LIST
 * can go on from here.
 */
export class WatchError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
    this.name = 'WatchError';
  }

  get gone(): boolean {
    return this.code === 410;
  }
}

const TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/** One line of a watch answer as an event; an ERROR line throws its WatchError. */
export function parseWatchLine(line: string, where: string): WatchEvent {
  let parsed: { type?: unknown; object?: unknown };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    throw new WatchError(`watch of ${where}: a line is not JSON: ${line.slice(0, 200)}`, undefined);
  }
  const { type, object } = parsed;
  if (type === 'ERROR') {
    const status = (object ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof status.code === 'number' ? status.code : undefined;
    throw new WatchError(`watch of ${where}: ${String(status.message ?? 'error')} (code ${code})`, code);
  }
  if (typeof type !== 'string' || !TYPES.has(type) || typeof object !== 'object' || object === null)
    throw new WatchError(`watch of ${where}: unexpected event ${line.slice(0, 200)}`, undefined);
  return { type: type as WatchEventType, object: object as KubeObject };
}

/** Events from a watch answer's chunks; a last line without a newline counts too. */
export async function* watchEvents(chunks: AsyncIterable<Buffer>, where: string): AsyncIterable<WatchEvent> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of chunks) {
    pending += decoder.write(chunk);
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield parseWatchLine(line, where);
      newline = pending.indexOf('\n');
    }
  }
  const rest = (pending + decoder.end()).trim();
  if (rest !== '') yield parseWatchLine(rest, where);
}

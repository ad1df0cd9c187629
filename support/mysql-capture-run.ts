import pino from 'pino';
import { runMysqlCapture } from '../connectors/mysql/index.js';
import type { SourcePosition } from '../src/core/change-event.js';
import type { RecordingSink } from './recording-sink.js';
import { waitFor } from './wait-for.js';

// The MySQL/MariaDB connector run in-process into a RecordingSink, for the
// connector tests: start, wait for what the sink received, stop.

export interface MysqlCaptureRun {
  /** Aborts capture and waits until it has returned. */
  stop(): Promise<void>;
  /** Settles when capture ends by itself: rejects with its error. */
  done: Promise<void>;
  /** Waits until `probe` returns a value; fails at once if capture dies meanwhile. */
  until<T>(what: string, probe: () => T | undefined, timeoutMs?: number): Promise<T>;
}

export function startMysqlCapture(
  url: string,
  tables: string[],
  sink: RecordingSink,
  options: { offset?: SourcePosition; logger?: pino.Logger } = {},
): MysqlCaptureRun {
  const controller = new AbortController();
  const done = runMysqlCapture({
    name: 'appdb',
    url,
    tables,
    sink,
    loadOffset: async () => options.offset ?? sink.lastPosition(),
    signal: controller.signal,
    logger: options.logger ?? pino({ level: 'warn' }),
  });
  // A capture that dies fails the waiting test at once, with its own error.
  const died = done.then(() => {
    throw new Error('capture ended');
  });
  died.catch(() => undefined);
  const until = <T>(what: string, probe: () => T | undefined, timeoutMs = 30_000) =>
    Promise.race([waitFor(what, probe, { timeoutMs }), died]);
  const stop = async () => {
    controller.abort();
    await done;
  };
  return { stop, done, until };
}

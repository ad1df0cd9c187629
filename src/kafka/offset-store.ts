import type { Kafka } from 'kafkajs';
import { offsetsTopic } from '../contracts/index.js';
import type { SourcePosition } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { readTopic } from './topic-reader.js';

// Source positions live in `<prefix>._offsets`, a compacted topic: key = the
// connector's source name, value = the position as JSON. JSON rather than
// Avro because each connector has its own position shape (binlog file/pos or
// GTID set, LSN) with its own codec (connectors/<db>/<db>-offset.ts), and the
// value is only ever read back by that codec and by people debugging a
// restart. The position is written in the same Kafka transaction as the
// change events before it, so a stored position never runs ahead of the data.
//
// A tombstone (null value) for a name forgets its position: the connector
// starts over (a new snapshot). That is how an operator resets a source.

export interface PositionRecord {
  key: string;
  value: string;
}

export function positionRecord(name: string, position: SourcePosition): PositionRecord {
  return { key: name, value: JSON.stringify(position) };
}

/** Parses a stored value; null (a tombstone) means no position. */
export function parsePosition(name: string, value: Buffer | null): SourcePosition | undefined {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new RowkubeError(ErrorCode.KAFKA, `the stored position of '${name}' is not JSON`, false, {
      cause: error,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RowkubeError(ErrorCode.KAFKA, `the stored position of '${name}' is not a JSON object`);
  }
  return parsed as SourcePosition;
}

export interface ReadPositionsOptions {
  kafka: Kafka;
  prefix: string;
  timeoutMs?: number;
}

/** The newest stored value per source name, read_committed, from earliest to the last stable offset. */
async function readStoredValues(options: ReadPositionsOptions): Promise<Map<string, Buffer | null>> {
  const values = new Map<string, Buffer | null>();
  await readTopic({
    kafka: options.kafka,
    topic: offsetsTopic(options.prefix),
    fromBeginning: true,
    follow: false,
    allowMissing: true,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    onRecord: ({ key, value }) => {
      if (key !== null) values.set(key.toString('utf8'), value);
    },
  });
  return values;
}

/**
 * The last committed position of every source. Read with read_committed, so
 * a position whose transaction is open or was aborted is never returned.
 */
export async function readPositions(options: ReadPositionsOptions): Promise<Map<string, SourcePosition>> {
  const positions = new Map<string, SourcePosition>();
  for (const [name, value] of await readStoredValues(options)) {
    const position = parsePosition(name, value);
    if (position !== undefined) positions.set(name, position);
  }
  return positions;
}

/** The last committed position of one source, or undefined when it has none (first start, or reset). */
export async function readLastPosition(
  options: ReadPositionsOptions & { name: string },
): Promise<SourcePosition | undefined> {
  const values = await readStoredValues(options);
  return parsePosition(options.name, values.get(options.name) ?? null);
}

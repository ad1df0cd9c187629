// pgoutput through pg-logical-replication 2.5, as rowkube uses it (see also
// DESIGN.md's field notes):
// - acknowledge { auto: false, timeoutSeconds: 0 }: the library would otherwise
//   acknowledge what it *received*, before the sink has it.
// - flowControl: the library pauses the socket and awaits each 'data' handler in
//   turn, so the sink's promises push back all the way to the walsender. A
//   handler that rejects does not stop the library (it emits 'error' and goes
//   on), so the handler in postgres-source.ts never rejects: it records the failure and stops
//   the session, and every later message is ignored.
// - acknowledge(lsn) sends lsn + 1 (it takes "the last byte received"), while
//   PostgreSQL expects the position *after* the last byte flushed, which is what
//   a commit's end LSN already is; sending end + 1 would make the slot skip a
//   transaction whose commit record starts exactly at that end. So
//   acknowledgeLsn() passes lsn − 1.
// - pgoutput values are parsed with pg-types' global parsers (int8 → number,
//   timestamps → Date). TextPgoutputPlugin swaps every column's parser for the
//   identity as each Relation message is parsed, so rows carry PostgreSQL's
//   text and postgres-types.ts converts it exactly, as for the snapshot.
// - The keepalive timestamp it reports is a week off (wrong epoch): unused.
// - One LogicalReplicationService per connection attempt.

import type { LogicalReplicationService, Pgoutput } from 'pg-logical-replication';
import { PgoutputPlugin } from 'pg-logical-replication';
import { formatLsn, type Lsn } from './postgres-offset.js';

/** The tag of the message that stands for one that could not be parsed; it carries `error`. */
export const PARSE_FAILURE = Symbol('parse-failure');

/**
 * pgoutput with every value left as PostgreSQL's text. Counts the messages it
 * parses: parsing happens on arrival, before the flow-control queue, so
 * `received` minus the handled count is what is waiting.
 */
export class TextPgoutputPlugin extends PgoutputPlugin {
  received = 0;
  lastReceivedAt = Date.now();

  override parse(buffer: Buffer): Pgoutput.Message {
    this.received += 1;
    this.lastReceivedAt = Date.now();
    try {
      const message = super.parse(buffer);
      if (message.tag === 'relation') {
        // The parser keeps this same object for the rows that follow; they are parsed after this returns.
        for (const column of message.columns) column.parser = keepText;
      }
      return message;
    } catch (error) {
      // Thrown here, it would escape from the socket's event handler.
      return { tag: PARSE_FAILURE, error } as unknown as Pgoutput.Message;
    }
  }
}

function keepText(text: unknown): unknown {
  return text;
}

/**
 * Sends a standby status update reporting `lsn` as written, flushed and
 * applied (see the file header for the − 1). `ping` asks for a keepalive back.
 */
export function acknowledgeLsn(service: LogicalReplicationService, lsn: Lsn, ping = false): void {
  if (lsn <= 0n) return;
  void service.acknowledge(formatLsn(lsn - 1n), ping).catch(() => undefined);
}

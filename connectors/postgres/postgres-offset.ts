// The PostgreSQL source position: a WAL location (LSN). PostgreSQL spells an
// LSN as two hexadecimal halves of a 64-bit number, "16/B374D848"; the
// replication protocol parser of pg-logical-replication pads the halves
// ("00000016/B374D848"). Strings of the two spellings do not compare, so an LSN
// is parsed into a bigint before any comparison.

import type { SourcePosition } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { OffsetCodec } from '../../src/core/source-connector.js';

/** An LSN as a 64-bit unsigned number. */
export type Lsn = bigint;

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Parses "16/B374D848" or "00000016/B374D848". Throws a RangeError on anything else. */
export function parseLsn(text: string): Lsn {
  const match = LSN_PATTERN.exec(text);
  if (!match) throw new RangeError(`not a PostgreSQL LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** PostgreSQL's own spelling (pg_lsn's text form): upper-case halves without padding, "16/B374D848". */
export function formatLsn(lsn: Lsn): string {
  if (lsn < 0n || lsn > 0xffff_ffff_ffff_ffffn) throw new RangeError(`LSN out of range: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

/** Negative, zero or positive as `a` is before, at or after `b`; either spelling. */
export function compareLsn(a: string | Lsn, b: string | Lsn): number {
  const x = typeof a === 'string' ? parseLsn(a) : a;
  const y = typeof b === 'string' ? parseLsn(b) : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Where the PostgreSQL stream resumes: the end LSN of the last transaction
 * whose changes the sink acknowledged (or the slot's consistent point after a
 * snapshot, or a keepalive's LSN when idle). Everything that commits at or
 * after it is still to be delivered; a transaction whose commit record starts
 * before it was delivered already.
 */
export interface PostgresOffset {
  lsn: Lsn;
}

/** The stored form: `{ lsn: "16/B374D848" }`. */
export function serializeOffset(offset: PostgresOffset): SourcePosition {
  return { lsn: formatLsn(offset.lsn) };
}

/**
 * Reads a stored position back. A position that is not a PostgreSQL one (e.g.
 * a MySQL file/pos stored under the same connector name) is a configuration
 * error, not something to guess around.
 */
export function parseOffset(position: SourcePosition): PostgresOffset {
  const lsn = position.lsn;
  if (typeof lsn !== 'string') {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `stored source position ${JSON.stringify(position)} has no "lsn": it was not written by the PostgreSQL ` +
        'connector; use a connector name of its own for each source',
    );
  }
  try {
    return { lsn: parseLsn(lsn) };
  } catch (error) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `stored source position has an invalid lsn ${JSON.stringify(lsn)}`,
      false,
      {
        cause: error,
      },
    );
  }
}

/** The PostgreSQL connector's offset codec (SourceConnector.offsetCodec). */
export const postgresOffsetCodec: OffsetCodec<PostgresOffset> = {
  parse: parseOffset,
  serialize: serializeOffset,
  compare: (a, b) => compareLsn(a.lsn, b.lsn),
  format: (offset) => formatLsn(offset.lsn),
};

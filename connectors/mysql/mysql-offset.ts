import type { SourcePosition } from '../../src/core/change-event.js';
import type { OffsetCodec } from '../../src/core/source-connector.js';

/**
 * Where the MySQL/MariaDB binlog stream stands: always at a transaction
 * boundary. file/pos is what the connector resumes from (it works on every
 * server and flavour); gtid records the server's GTID position at that point
 * (MariaDB "domain-server-seq,…" or a MySQL GTID set) for operators and for
 * failover tooling.
 */
export interface MysqlPosition {
  file: string;
  pos: number;
  gtid?: string;
}

export function serializeMysqlPosition(position: MysqlPosition): SourcePosition {
  return { file: position.file, pos: position.pos, gtid: position.gtid ?? null };
}

export function parseMysqlPosition(stored: SourcePosition): MysqlPosition {
  const { file, pos, gtid } = stored;
  if (
    typeof file !== 'string' ||
    file === '' ||
    typeof pos !== 'number' ||
    !Number.isInteger(pos) ||
    pos < 4
  ) {
    throw new TypeError(
      `not a MySQL binlog position: ${JSON.stringify(stored)} (want {file, pos >= 4, gtid?})`,
    );
  }
  return typeof gtid === 'string' && gtid !== '' ? { file, pos, gtid } : { file, pos };
}

/** Binlog file names sort by their numeric suffix (mariadb-bin.000009 < mariadb-bin.000010). */
export function compareMysqlPositions(a: MysqlPosition, b: MysqlPosition): number {
  const fileA = binlogSequence(a.file);
  const fileB = binlogSequence(b.file);
  if (fileA !== fileB) return fileA < fileB ? -1 : 1;
  return a.pos - b.pos;
}

function binlogSequence(file: string): number {
  const match = /\.(\d+)$/.exec(file);
  if (!match?.[1]) throw new TypeError(`binlog file name without a sequence number: ${file}`);
  return Number(match[1]);
}

/** The MySQL/MariaDB connector's offset codec (SourceConnector.offsetCodec). */
export const mysqlOffsetCodec: OffsetCodec<MysqlPosition> = {
  parse: parseMysqlPosition,
  serialize: serializeMysqlPosition,
  compare: compareMysqlPositions,
  format: (position) => `${position.file}:${position.pos}`,
};

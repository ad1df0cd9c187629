import { ErrorCode, RowkubeError } from '../core/errors.js';

// The position an application reads after its commit (docs/read-your-writes.md),
// and how it compares with a source position rowkube records (the change
// envelope's source.position, the desired record's provenance, the status
// record, the capture offset in `<prefix>._offsets`): MySQL/MariaDB
// {file, pos, gtid} and PostgreSQL {lsn}, as JSON.
//
// Each database spells a commit's position its own way, and only some
// spellings compare with what capture records:
//   MariaDB  @@last_gtid "0-1-42" (or a list "0-1-42,1-2-7")  ↔ gtid, per domain by sequence number
//   MySQL    a GTID set "3e11fa47-…:1-42"                       ↔ gtid, the executed set: contained in it
//   both     a binlog position "binlog.000003:1234"            ↔ file/pos
//   Postgres an LSN "16/B374D848"                               ↔ lsn

/** A position as an application gives it. */
export type WantedPosition =
  | { kind: 'mariadb-gtid'; text: string; domains: Map<number, bigint> }
  | { kind: 'mysql-gtid'; text: string; set: GtidSet }
  | { kind: 'binlog'; text: string; file: string; pos: number }
  | { kind: 'lsn'; text: string; lsn: bigint };

/** A MySQL GTID set: server uuid → its transaction number intervals (inclusive, sorted, merged). */
export type GtidSet = Map<string, [bigint, bigint][]>;

const FORMS =
  'a MariaDB GTID (domain-server-seq, e.g. 0-1-42), a MySQL GTID set (uuid:1-42), ' +
  'a binlog position (file:pos, e.g. binlog.000003:1234) or a PostgreSQL LSN (e.g. 16/B374D848)';

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const MARIADB_GTID = /^(\d+)-(\d+)-(\d+)$/;
const BINLOG = /^(.*\.\d+):(\d+)$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function positionError(what: string, message: string): RowkubeError {
  return new RowkubeError(ErrorCode.POSITION, `${what}: ${message}`);
}

/**
 * Parses a position an application read after its commit. `what` names where
 * it came from in errors ("--position", "the position query parameter").
 * Throws a RowkubeError (ROWKUBE_ERR_POSITION) saying what is wrong.
 */
export function parseWantedPosition(input: string, what = 'position'): WantedPosition {
  const text = input.trim();
  if (text === '') throw positionError(what, `is empty; give ${FORMS}`);
  const lsn = LSN.exec(text);
  if (lsn) return { kind: 'lsn', text, lsn: (BigInt(`0x${lsn[1]}`) << 32n) | BigInt(`0x${lsn[2]}`) };
  if (text.includes('/')) {
    throw positionError(
      what,
      `'${text}' is not a PostgreSQL LSN: want two hexadecimal halves of at most 8 digits, e.g. 16/B374D848`,
    );
  }
  const binlog = BINLOG.exec(text);
  if (binlog && !UUID.test(text.split(':')[0] ?? '')) {
    const pos = Number(binlog[2]);
    if (!Number.isSafeInteger(pos) || pos < 4)
      throw positionError(what, `'${text}': a binlog offset is at least 4`);
    return { kind: 'binlog', text, file: binlog[1] as string, pos };
  }
  if (text.includes(':')) return { kind: 'mysql-gtid', text, set: parseGtidSet(text, what) };
  if (/^\d/.test(text)) return { kind: 'mariadb-gtid', text, domains: parseMariadbGtids(text, what) };
  throw positionError(what, `'${text}' is not a position; give ${FORMS}`);
}

/** "0-1-42" or "0-1-42,1-2-7": domain → sequence number (the highest of a domain). */
export function parseMariadbGtids(text: string, what = 'position'): Map<number, bigint> {
  const domains = new Map<number, bigint>();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const match = MARIADB_GTID.exec(item);
    if (!match) {
      throw positionError(
        what,
        `'${item}' is not a MariaDB GTID: want domain-server-seq, three decimal numbers, e.g. 0-1-42`,
      );
    }
    const domain = Number(match[1]);
    const seq = BigInt(match[3] as string);
    const known = domains.get(domain);
    if (known === undefined || seq > known) domains.set(domain, seq);
  }
  if (domains.size === 0) throw positionError(what, `'${text}' holds no MariaDB GTID`);
  return domains;
}

/** "uuid:1-5:7,uuid2:3" (MySQL's gtid_executed spelling, newlines allowed) into a GtidSet. */
export function parseGtidSet(text: string, what = 'position'): GtidSet {
  const set: GtidSet = new Map();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const [uuid = '', ...ranges] = item.split(':');
    if (!UUID.test(uuid)) {
      throw positionError(
        what,
        `'${item}' is not a MySQL GTID: want server_uuid:transactions, e.g. 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42 ('${uuid}' is not a uuid)`,
      );
    }
    if (ranges.length === 0) throw positionError(what, `'${item}' has no transaction numbers after the uuid`);
    const intervals = set.get(uuid.toLowerCase()) ?? [];
    for (const range of ranges) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(range);
      if (!match) {
        // MySQL 8.3+ tagged GTIDs (uuid:tag:n) are not captured positions rowkube records.
        throw positionError(
          what,
          `'${item}': '${range}' is not a transaction number or range (n or n-m); tagged GTIDs are not supported`,
        );
      }
      const from = BigInt(match[1] as string);
      const to = match[2] === undefined ? from : BigInt(match[2]);
      if (from < 1n || to < from)
        throw positionError(what, `'${item}': the range '${range}' is empty or starts at 0`);
      intervals.push([from, to]);
    }
    set.set(uuid.toLowerCase(), mergeIntervals(intervals));
  }
  if (set.size === 0) throw positionError(what, `'${text}' holds no MySQL GTID`);
  return set;
}

function mergeIntervals(intervals: [bigint, bigint][]): [bigint, bigint][] {
  const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last === undefined || from > last[1] + 1n) merged.push([from, to]);
    else if (to > last[1]) last[1] = to;
  }
  return merged;
}

/** True when every transaction of `wanted` is in `have`. */
export function gtidSetContains(have: GtidSet, wanted: GtidSet): boolean {
  for (const [uuid, intervals] of wanted) {
    const held = have.get(uuid) ?? [];
    for (const [from, to] of intervals) {
      if (!held.some(([a, b]) => a <= from && to <= b)) return false;
    }
  }
  return true;
}

/**
 * Whether a recorded source position (JSON text or its object) is at or past
 * the wanted one: everything up to `wanted` is before it in the source's log.
 * Throws ROWKUBE_ERR_POSITION when the two cannot be compared (an LSN against
 * a MySQL source, a GTID against positions recorded without one), naming the
 * spelling that would work.
 */
export function positionReaches(recorded: string | Record<string, unknown>, wanted: WantedPosition): boolean {
  const have = typeof recorded === 'string' ? parseRecorded(recorded) : recorded;
  const isPostgres = typeof have.lsn === 'string';
  // Capture's stored offset has pos as a number; a desired record's provenance
  // (an Avro long carried as JSON) as a decimal string.
  const pos = typeof have.pos === 'string' && /^\d+$/.test(have.pos) ? Number(have.pos) : have.pos;
  const isMysql = typeof have.file === 'string' && typeof pos === 'number';
  const sourceKind = isPostgres ? 'a PostgreSQL source (LSN)' : 'a MySQL/MariaDB source (binlog file/pos)';
  const mismatch = (kind: string) =>
    positionError(
      'position',
      `'${wanted.text}' is ${kind}, but the node comes from ${sourceKind}; give ${isPostgres ? 'an LSN' : 'a binlog position or GTID'}`,
    );
  switch (wanted.kind) {
    case 'lsn': {
      if (!isPostgres) throw mismatch('a PostgreSQL LSN');
      const match = LSN.exec(have.lsn as string);
      if (!match) throw positionError('recorded position', `'${String(have.lsn)}' is not an LSN`);
      return ((BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)) >= wanted.lsn;
    }
    case 'binlog': {
      if (!isMysql) throw mismatch('a binlog position');
      const file = binlogSequence(have.file as string);
      const want = binlogSequence(wanted.file);
      return file > want || (file === want && (pos as number) >= wanted.pos);
    }
    case 'mariadb-gtid':
    case 'mysql-gtid': {
      if (!isMysql) throw mismatch('a GTID');
      const gtid = typeof have.gtid === 'string' ? have.gtid.trim() : '';
      if (gtid === '') {
        throw positionError(
          'position',
          `'${wanted.text}' is a GTID, but capture recorded this source's positions without one ` +
            '(GTIDs off, or no GTID seen since capture started): give the binlog position (file:pos) instead',
        );
      }
      const haveIsMysql = gtid.includes(':');
      if (wanted.kind === 'mysql-gtid') {
        if (!haveIsMysql)
          throw positionError(
            'position',
            `'${wanted.text}' is a MySQL GTID set, but this source writes MariaDB GTIDs (domain-server-seq, e.g. 0-1-42)`,
          );
        return gtidSetContains(parseGtidSet(gtid, 'recorded position'), wanted.set);
      }
      if (haveIsMysql)
        throw positionError(
          'position',
          `'${wanted.text}' is a MariaDB GTID, but this source writes MySQL GTIDs (uuid:n, e.g. from @@gtid_executed)`,
        );
      const domains = parseMariadbGtids(gtid, 'recorded position');
      for (const [domain, seq] of wanted.domains) {
        const held = domains.get(domain);
        if (held === undefined || held < seq) return false;
      }
      return true;
    }
  }
}

function parseRecorded(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object') return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw positionError('recorded position', `'${text}' is not a source position`);
}

/** Binlog files sort by their numeric suffix (binlog.000009 < binlog.000010). */
function binlogSequence(file: string): number {
  const match = /\.(\d+)$/.exec(file);
  if (!match)
    throw positionError('position', `the binlog file name '${file}' has no .NNNNNN sequence number`);
  return Number(match[1]);
}

import { describe, expect, it } from 'vitest';
import { parseWantedPosition, positionReaches } from '../../src/core/wanted-position.js';

const UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const OTHER = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

describe('Status > position > parseWantedPosition', () => {
  it('reads each database spelling', () => {
    expect(parseWantedPosition('0-1-42')).toMatchObject({ kind: 'mariadb-gtid' });
    expect(parseWantedPosition('0-1-42,1-2-7')).toMatchObject({ kind: 'mariadb-gtid' });
    expect(parseWantedPosition(`${UUID}:1-42`)).toMatchObject({ kind: 'mysql-gtid' });
    expect(parseWantedPosition(`${UUID}:1-5:7,\n${OTHER}:3`)).toMatchObject({ kind: 'mysql-gtid' });
    expect(parseWantedPosition('binlog.000003:1234')).toMatchObject({
      kind: 'binlog',
      file: 'binlog.000003',
      pos: 1234,
    });
    expect(parseWantedPosition('16/B374D848')).toMatchObject({ kind: 'lsn', lsn: 0x16b374d848n });
    expect(parseWantedPosition('00000016/b374d848')).toMatchObject({ kind: 'lsn', lsn: 0x16b374d848n });
  });

  it('names what is wrong and where', () => {
    expect(() => parseWantedPosition('', '--position')).toThrow(/ROWKUBE_ERR_POSITION: --position: is empty/);
    expect(() => parseWantedPosition('16/XYZ')).toThrow(/not a PostgreSQL LSN/);
    expect(() => parseWantedPosition('0-1')).toThrow(/'0-1' is not a MariaDB GTID: want domain-server-seq/);
    expect(() => parseWantedPosition('not-a-uuid:5')).toThrow(/'not-a-uuid' is not a uuid/);
    expect(() => parseWantedPosition(`${UUID}:5-3`)).toThrow(/range '5-3' is empty/);
    expect(() => parseWantedPosition(`${UUID}:tag:5`)).toThrow(/tagged GTIDs are not supported/);
    expect(() => parseWantedPosition('binlog.000003:2')).toThrow(/at least 4/);
    expect(() => parseWantedPosition('hello')).toThrow(/'hello' is not a position; give a MariaDB GTID/);
  });
});

describe('Status > position > positionReaches', () => {
  const mariadb = { file: 'mariadb-bin.000009', pos: 900, gtid: '0-1-42' };
  const mysql = { file: 'binlog.000002', pos: 500, gtid: `${UUID}:1-42,${OTHER}:1-3` };
  const postgres = { lsn: '16/B374D848' };

  it('compares binlog positions by file sequence, then offset', () => {
    expect(positionReaches(mariadb, parseWantedPosition('mariadb-bin.000009:900'))).toBe(true);
    expect(positionReaches(mariadb, parseWantedPosition('mariadb-bin.000009:901'))).toBe(false);
    expect(positionReaches(mariadb, parseWantedPosition('mariadb-bin.000010:4'))).toBe(false);
    expect(positionReaches(JSON.stringify(mariadb), parseWantedPosition('mariadb-bin.000008:99999'))).toBe(
      true,
    );
    // A desired record's provenance carries the Avro long as a decimal string.
    const provenance = JSON.stringify({
      file: 'mariadb-bin.000009',
      gtid: '0-1-42',
      pos: '900',
      txId: '0-1-42',
    });
    expect(positionReaches(provenance, parseWantedPosition('mariadb-bin.000009:900'))).toBe(true);
    expect(positionReaches(provenance, parseWantedPosition('0-1-42'))).toBe(true);
    expect(positionReaches(provenance, parseWantedPosition('mariadb-bin.000009:901'))).toBe(false);
  });

  it('compares MariaDB GTIDs per domain by sequence number', () => {
    expect(positionReaches(mariadb, parseWantedPosition('0-1-42'))).toBe(true);
    expect(positionReaches(mariadb, parseWantedPosition('0-2-41'))).toBe(true);
    expect(positionReaches(mariadb, parseWantedPosition('0-1-43'))).toBe(false);
    expect(positionReaches(mariadb, parseWantedPosition('1-1-1'))).toBe(false);
  });

  it('asks a MySQL GTID set to be contained in the executed set', () => {
    expect(positionReaches(mysql, parseWantedPosition(`${UUID}:42`))).toBe(true);
    expect(positionReaches(mysql, parseWantedPosition(`${UUID}:1-42,${OTHER}:2`))).toBe(true);
    expect(positionReaches(mysql, parseWantedPosition(`${UUID}:43`))).toBe(false);
    expect(positionReaches(mysql, parseWantedPosition(`${OTHER}:1-4`))).toBe(false);
  });

  it('compares LSNs as numbers, whatever their spelling', () => {
    expect(positionReaches(postgres, parseWantedPosition('16/B374D848'))).toBe(true);
    expect(positionReaches({ lsn: '00000016/B374D848' }, parseWantedPosition('16/B374D849'))).toBe(false);
    expect(positionReaches(postgres, parseWantedPosition('9/FFFFFFFF'))).toBe(true);
  });

  it('refuses positions of another database, naming the spelling that works', () => {
    expect(() => positionReaches(postgres, parseWantedPosition('0-1-42'))).toThrow(
      /PostgreSQL source .*give an LSN/,
    );
    expect(() => positionReaches(mariadb, parseWantedPosition('16/1'))).toThrow(
      /give a binlog position or GTID/,
    );
    expect(() => positionReaches(mariadb, parseWantedPosition(`${UUID}:1`))).toThrow(/writes MariaDB GTIDs/);
    expect(() => positionReaches(mysql, parseWantedPosition('0-1-1'))).toThrow(/writes MySQL GTIDs/);
    expect(() =>
      positionReaches({ file: 'b.000001', pos: 4, gtid: null }, parseWantedPosition('0-1-1')),
    ).toThrow(/without one .*give the binlog position/);
  });
});

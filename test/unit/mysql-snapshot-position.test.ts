import { describe, expect, it } from 'vitest';
import {
  binaryLogStatusStatement,
  flavourOf,
  positionFromStatus,
} from '../../connectors/mysql/mysql-snapshot-position.js';

describe('MySQL connector > snapshot position', () => {
  it('tells MariaDB from MySQL by VERSION() or @@version_comment', () => {
    expect(flavourOf('10.11.6-MariaDB-0+deb12u1', 'Debian 12')).toBe('mariadb');
    expect(flavourOf('5.5.5-10.6.4', 'mariadb.org binary distribution')).toBe('mariadb');
    expect(flavourOf('9.7.4-2', '(Debian)')).toBe('mysql');
    expect(flavourOf('8.0.36', 'MySQL Community Server - GPL')).toBe('mysql');
  });

  it('reads the position with SHOW BINARY LOG STATUS from 8.2 on, SHOW MASTER STATUS before', () => {
    expect(binaryLogStatusStatement('9.7.4-2')).toBe('SHOW BINARY LOG STATUS');
    expect(binaryLogStatusStatement('8.4.3')).toBe('SHOW BINARY LOG STATUS');
    expect(binaryLogStatusStatement('8.2.0')).toBe('SHOW BINARY LOG STATUS');
    expect(binaryLogStatusStatement('8.0.40')).toBe('SHOW MASTER STATUS');
  });

  it('takes file, position and the executed GTID set, joining the lines the server wraps it in', () => {
    const row = {
      File: 'binlog.000003',
      Position: 1234,
      Executed_Gtid_Set:
        '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n2c256447-3f0d-431b-9a25-bddf1f1f6ef6:1-27',
    };
    expect(positionFromStatus(row, 'source s', 'SHOW BINARY LOG STATUS')).toEqual({
      file: 'binlog.000003',
      pos: 1234,
      gtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,2c256447-3f0d-431b-9a25-bddf1f1f6ef6:1-27',
    });
    expect(
      positionFromStatus({ File: 'binlog.000003', Position: '99', Executed_Gtid_Set: '' }, 's', 'x'),
    ).toEqual({
      file: 'binlog.000003',
      pos: 99,
    });
  });

  it('says the binlog is off when the status has no row', () => {
    expect(() => positionFromStatus(undefined, 'source s', 'SHOW BINARY LOG STATUS')).toThrow(
      /ROWKUBE_ERR_BINLOG_DISABLED: source s: SHOW BINARY LOG STATUS returned no binlog position \(null\); start the server with log_bin/,
    );
  });
});

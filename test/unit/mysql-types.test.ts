import { describe, expect, it } from 'vitest';
import { mysqlColumnKind, mysqlSelectList, mysqlValue } from '../../connectors/mysql/mysql-types.js';

describe('MySQL connector > types > mysqlColumnKind', () => {
  it.each([
    ['tinyint(1)', 'boolean'],
    ['tinyint(4)', 'int'],
    ['int(11)', 'int'],
    ['int(10) unsigned', 'long'],
    ['bigint(20)', 'long'],
    ['bigint(20) unsigned', 'decimal'],
    ['decimal(30,9)', 'decimal'],
    ['double', 'double'],
    ['float', 'float'],
    ['float(10,4) unsigned', 'float'],
    ["enum('a','b')", 'string'],
    ['longtext', 'string'],
    ['varbinary(16)', 'bytes'],
    ['bit(3)', 'bytes'],
    ['date', 'date'],
    ['time(6)', 'time'],
    ['datetime(6)', 'local-timestamp'],
    ['timestamp(3)', 'timestamp'],
    ['json', 'json'],
  ])('maps %s to %s', (type, kind) => {
    expect(mysqlColumnKind(type, false, 't.c')).toBe(kind);
  });

  it('maps a MariaDB JSON column (longtext with json_valid) to json', () => {
    expect(mysqlColumnKind('longtext', true, 't.c')).toBe('json');
  });

  it('refuses spatial types naming the column and the error code', () => {
    expect(() => mysqlColumnKind('point', false, 'app.places.location')).toThrow(
      /ROWKUBE_ERR_UNSUPPORTED_TYPE: app.places.location has type point/,
    );
  });
});

describe('MySQL connector > types > mysqlValue', () => {
  it('keeps 64-bit integers exact beyond 2^53', () => {
    expect(mysqlValue('long', '18446744073709551615')).toBe(18446744073709551615n);
    expect(mysqlValue('long', -42)).toBe(-42n);
  });

  it('keeps decimals as exact strings', () => {
    expect(mysqlValue('decimal', '12345678901234567890.123456789')).toBe('12345678901234567890.123456789');
  });

  it('reads booleans from 1/0', () => {
    expect(mysqlValue('boolean', 1)).toBe(true);
    expect(mysqlValue('boolean', 0)).toBe(false);
  });

  it('writes datetimes without a zone and timestamps in UTC', () => {
    expect(mysqlValue('local-timestamp', '2024-02-29 23:59:58.123456')).toBe('2024-02-29T23:59:58.123456');
    expect(mysqlValue('timestamp', '2024-02-29 23:59:58.123456')).toBe('2024-02-29T23:59:58.123456Z');
  });

  it('passes NULL through for every kind', () => {
    expect(mysqlValue('long', null)).toBeNull();
    expect(mysqlValue('string', undefined)).toBeNull();
  });
});

describe('MySQL connector > types > FLOAT', () => {
  it.each([
    // [what the binlog gives (the 32-bit value widened), what the snapshot reads (CAST AS DOUBLE), expected]
    [0.10000000149011612, 0.10000000149011612, 0.1],
    [3.3999999521443642e38, 3.3999999521443642e38, 3.4e38],
    [1.2345677614212036, 1.2345677614212036, 1.2345678],
    [16777216, 16777216, 16777216],
    [123456792, 123456792, 123456790],
    [-1.1754943508222875e-38, -1.1754943508222875e-38, -1.1754944e-38],
    [12.345600128173828, 12.345600128173828, 12.3456],
  ])(
    'writes the 32-bit value %d as the shortest decimal that reads back as it',
    (binlog, snapshot, expected) => {
      expect(mysqlValue('float', binlog)).toBe(expected);
      expect(mysqlValue('float', snapshot)).toBe(expected);
      expect(Math.fround(expected)).toBe(Math.fround(binlog));
    },
  );

  it('leaves DOUBLE alone', () => {
    expect(mysqlValue('double', 0.10000000149011612)).toBe(0.10000000149011612);
  });

  it('reads FLOAT columns widened to DOUBLE in the snapshot, since the text protocol prints six digits', () => {
    const table = {
      source: 's',
      database: 'd',
      table: 't',
      columns: [
        { name: 'id', kind: 'int' as const, nullable: false, sourceType: 'int' },
        { name: 'we`ird', kind: 'float' as const, nullable: true, sourceType: 'float' },
      ],
      primaryKey: ['id'],
    };
    expect(mysqlSelectList(table)).toBe('`id`, CAST(`we``ird` AS DOUBLE) AS `we``ird`');
  });
});

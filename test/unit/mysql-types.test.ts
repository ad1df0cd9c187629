import { describe, expect, it } from 'vitest';
import { mysqlColumnKind, mysqlValue } from '../../connectors/mysql/mysql-types.js';

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

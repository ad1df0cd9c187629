import { describe, expect, it } from 'vitest';
import {
  fromPgText,
  kindOfType,
  PgOid,
  type PgTypeInfo,
  timestampFromText,
} from '../../connectors/postgres/postgres-types.js';

describe('connectors > postgres > types', () => {
  describe('kindOfType', () => {
    it('maps the built-in types', () => {
      expect(kindOfType(PgOid.bool)).toBe('boolean');
      expect(kindOfType(PgOid.int2)).toBe('int');
      expect(kindOfType(PgOid.int4)).toBe('int');
      expect(kindOfType(PgOid.int8)).toBe('long');
      expect(kindOfType(PgOid.oid)).toBe('long');
      expect(kindOfType(PgOid.float4)).toBe('float');
      expect(kindOfType(PgOid.float8)).toBe('double');
      expect(kindOfType(PgOid.numeric)).toBe('decimal');
      expect(kindOfType(PgOid.json)).toBe('json');
      expect(kindOfType(PgOid.jsonb)).toBe('json');
      expect(kindOfType(PgOid.bytea)).toBe('bytes');
      expect(kindOfType(PgOid.date)).toBe('date');
      expect(kindOfType(PgOid.time)).toBe('time');
      expect(kindOfType(PgOid.timestamp)).toBe('local-timestamp');
      expect(kindOfType(PgOid.timestamptz)).toBe('timestamp');
      for (const oid of [
        PgOid.text,
        PgOid.varchar,
        PgOid.bpchar,
        PgOid.uuid,
        PgOid.interval,
        PgOid.timetz,
        1007,
      ]) {
        expect(kindOfType(oid)).toBe('string');
      }
    });

    it('gives a domain its base type’s kind, and enums, arrays and unknown types string', () => {
      const types = new Map<number, PgTypeInfo>([
        [20001, { oid: 20001, name: 'money_cents', type: 'd', category: 'N', baseOid: PgOid.int8 }],
        [20002, { oid: 20002, name: 'positive_cents', type: 'd', category: 'N', baseOid: 20001 }],
        [20003, { oid: 20003, name: 'mood', type: 'e', category: 'E', baseOid: 0 }],
        [20004, { oid: 20004, name: '_mood', type: 'b', category: 'A', baseOid: 0 }],
      ]);
      const describe = (oid: number) => types.get(oid);
      expect(kindOfType(20001, describe)).toBe('long');
      expect(kindOfType(20002, describe)).toBe('long');
      expect(kindOfType(20003, describe)).toBe('string');
      expect(kindOfType(20004, describe)).toBe('string');
      expect(kindOfType(20005, describe)).toBe('string');
      expect(kindOfType(20001)).toBe('string');
    });
  });

  describe('fromPgText', () => {
    it('reads integers, int8 exactly beyond 2^53', () => {
      expect(fromPgText('int', '-2147483648')).toBe(-2147483648);
      expect(fromPgText('long', '9223372036854775807')).toBe(9223372036854775807n);
      expect(fromPgText('long', '-9223372036854775808')).toBe(-9223372036854775808n);
      expect(fromPgText('long', '9007199254740993')).toBe(9007199254740993n);
      expect(() => fromPgText('int', '1.5')).toThrow(RangeError);
      expect(() => fromPgText('long', '')).toThrow(RangeError);
    });

    it('keeps numeric text exact, special values included', () => {
      const digits = '-123456789012345678901234567890.123456789012345678901';
      expect(fromPgText('decimal', digits)).toBe(digits);
      expect(fromPgText('decimal', '12.3400')).toBe('12.3400');
      expect(fromPgText('decimal', 'NaN')).toBe('NaN');
      expect(fromPgText('decimal', '-Infinity')).toBe('-Infinity');
    });

    it('reads floats, special values included', () => {
      expect(fromPgText('double', '0.1')).toBe(0.1);
      expect(fromPgText('double', '1e+308')).toBe(1e308);
      expect(fromPgText('double', 'NaN')).toBeNaN();
      expect(fromPgText('double', 'Infinity')).toBe(Number.POSITIVE_INFINITY);
      expect(fromPgText('double', '-Infinity')).toBe(Number.NEGATIVE_INFINITY);
      expect(() => fromPgText('double', 'abc')).toThrow(RangeError);
    });

    it('writes real (float4) as the shortest decimal of its 32-bit value, whatever digits the server printed', () => {
      expect(fromPgText('float', '0.1')).toBe(0.1);
      expect(fromPgText('float', '0.100000001')).toBe(0.1);
      expect(fromPgText('float', '3.40000004e+38')).toBe(3.4e38);
      expect(fromPgText('float', '16777216')).toBe(16777216);
      expect(fromPgText('float', 'NaN')).toBeNaN();
      expect(fromPgText('float', '-Infinity')).toBe(Number.NEGATIVE_INFINITY);
      expect(() => fromPgText('float', 'abc')).toThrow(RangeError);
    });

    it('reads booleans, JSON text and bytea', () => {
      expect(fromPgText('boolean', 't')).toBe(true);
      expect(fromPgText('boolean', 'f')).toBe(false);
      expect(() => fromPgText('boolean', 'yes')).toThrow(RangeError);
      expect(fromPgText('json', '{"b": 1,  "a": 2}')).toBe('{"b": 1,  "a": 2}');
      expect(fromPgText('bytes', '\\xdeadbeef00')).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0]));
      expect(fromPgText('bytes', '\\x')).toEqual(Buffer.alloc(0));
      expect(fromPgText('bytes', 'a\\\\b\\000\\377')).toEqual(Buffer.from([0x61, 0x5c, 0x62, 0, 255]));
      expect(() => fromPgText('bytes', '\\xabc')).toThrow(RangeError);
    });

    it('reads dates and times, with six-digit fractions', () => {
      expect(fromPgText('date', '2024-02-29')).toBe('2024-02-29');
      expect(fromPgText('date', '0044-03-15 BC')).toBe('-0043-03-15');
      expect(fromPgText('date', '0001-01-01 BC')).toBe('0000-01-01');
      expect(fromPgText('date', 'infinity')).toBe('infinity');
      expect(fromPgText('time', '23:59:59.999999')).toBe('23:59:59.999999');
      expect(fromPgText('time', '12:00:00.5')).toBe('12:00:00.500000');
      expect(fromPgText('time', '12:00:00')).toBe('12:00:00');
      expect(fromPgText('time', '24:00:00')).toBe('24:00:00');
      expect(fromPgText('local-timestamp', '2024-02-29 12:34:56.123456')).toBe('2024-02-29T12:34:56.123456');
      expect(fromPgText('local-timestamp', '2024-02-29 12:34:56')).toBe('2024-02-29T12:34:56');
      expect(fromPgText('local-timestamp', '-infinity')).toBe('-infinity');
      expect(() => fromPgText('local-timestamp', '2024-02-29 12:34:56+00')).toThrow(RangeError);
      expect(() => fromPgText('date', '02/29/2024')).toThrow(RangeError);
    });

    it('reads timestamptz as UTC with Z, converting any offset to the microsecond', () => {
      expect(fromPgText('timestamp', '2024-02-29 12:34:56.000123+00')).toBe('2024-02-29T12:34:56.000123Z');
      expect(timestampFromText('2024-02-29 12:34:56.1+02')).toBe('2024-02-29T10:34:56.100000Z');
      expect(timestampFromText('2024-01-01 00:30:00-05:30')).toBe('2024-01-01T06:00:00Z');
      expect(timestampFromText('2024-03-01 01:00:00+02')).toBe('2024-02-29T23:00:00Z');
      expect(timestampFromText('1900-01-01 00:00:00+00:09:21')).toBe('1899-12-31T23:50:39Z');
      expect(timestampFromText('0050-06-01 00:00:00+01')).toBe('0050-05-31T23:00:00Z');
      expect(timestampFromText('infinity')).toBe('infinity');
      expect(() => timestampFromText('2024-02-29 12:34:56')).toThrow(RangeError);
    });

    it('passes strings through', () => {
      expect(fromPgText('string', 'zoë — 日本語 🚀')).toBe('zoë — 日本語 🚀');
      expect(fromPgText('string', '{1,2,NULL}')).toBe('{1,2,NULL}');
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  compareLsn,
  formatLsn,
  parseLsn,
  parseOffset,
  serializeOffset,
} from '../../connectors/postgres/postgres-offset.js';
import type { SourcePosition } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';

describe('connectors > postgres > offset', () => {
  it('parses both LSN spellings to the same 64-bit number', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16_b374d848n);
    expect(parseLsn('00000016/B374D848')).toBe(0x16_b374d848n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n);
    expect(parseLsn('a/b')).toBe(0xa_0000000bn);
  });

  it('refuses what is not an LSN', () => {
    for (const text of ['', '16', '16/', '/1', '1/2/3', '123456789/0', 'g/0', ' 1/2', '16-B374D848']) {
      expect(() => parseLsn(text), text).toThrow(RangeError);
    }
  });

  it('formats as PostgreSQL does: upper case, no padding', () => {
    expect(formatLsn(0x16_b374d848n)).toBe('16/B374D848');
    expect(formatLsn(0n)).toBe('0/0');
    expect(formatLsn(parseLsn('00000000/0000ABCD'))).toBe('0/ABCD');
    expect(() => formatLsn(-1n)).toThrow(RangeError);
    expect(() => formatLsn(2n ** 64n)).toThrow(RangeError);
  });

  it('compares as numbers, where strings would not', () => {
    // As strings, "9/0" > "10/0" and "0/FF" > "0/100"; as LSNs, the reverse.
    expect(compareLsn('9/0', '10/0')).toBeLessThan(0);
    expect(compareLsn('0/FF', '0/100')).toBeLessThan(0);
    expect(compareLsn('00000016/B374D848', '16/B374D848')).toBe(0);
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBeGreaterThan(0);
    expect(compareLsn(5n, '0/4')).toBeGreaterThan(0);
  });

  it('serializes to { lsn } and reads it back, from either spelling', () => {
    const offset = { lsn: parseLsn('00000016/B374D848') };
    expect(serializeOffset(offset)).toEqual({ lsn: '16/B374D848' });
    expect(parseOffset(serializeOffset(offset))).toEqual(offset);
    expect(parseOffset({ lsn: '00000016/B374D848' })).toEqual(offset);
  });

  it('refuses a stored position that is not a PostgreSQL one', () => {
    const positions: SourcePosition[] = [
      { file: 'binlog.000003', pos: 4 },
      { lsn: 42 },
      { lsn: 'yesterday' },
    ];
    for (const position of positions) {
      const error = (() => {
        try {
          parseOffset(position);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(RowkubeError);
      expect((error as RowkubeError).code).toBe(ErrorCode.CONFIG);
    }
  });
});

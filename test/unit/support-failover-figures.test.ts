import { describe, expect, it } from 'vitest';
import {
  accountChanges,
  checkAppliedOrder,
  compareBinlogPositions,
  compareLsnPositions,
  positionOrder,
  takeoverMs,
} from '../../support/failover-figures.js';

// The conclusions of the failover and split-brain runs: if these were wrong,
// a failover that lost changes would read as a clean one.

describe('support > failover figures > takeoverMs', () => {
  it('is the first record sent after each kill, before the next kill', () => {
    const sent = [100, 200, 1_500, 1_600, 5_000].map((timestampMs) => ({ seq: 1, timestampMs }));
    expect(takeoverMs([150, 1_000, 4_000], sent)).toEqual([50, 500, 1_000]);
  });

  it('is null for a kill after which nothing was sent before the next kill', () => {
    const sent = [{ seq: 1, timestampMs: 3_000 }];
    expect(takeoverMs([1_000, 2_000, 4_000], sent)).toEqual([null, 1_000, null]);
  });
});

describe('support > failover figures > accountChanges', () => {
  it('counts writes missing from the change topic and writes captured twice; seeded rows do not count', () => {
    const captured = [0, 0, 1, 2, 2, 4].map((seq) => ({ seq, timestampMs: 0 }));
    expect(accountChanges(5, captured)).toEqual({
      written: 5,
      captured: 3,
      lost: 2,
      duplicated: 1,
      examples: { lost: [3, 5], duplicated: [2] },
    });
  });
});

describe('support > failover figures > checkAppliedOrder', () => {
  const at = (file: number, pos: number) =>
    JSON.stringify({ file: `mariadb-bin.${String(file).padStart(6, '0')}`, pos: String(pos), gtid: null });

  it('allows the same version again, and newer ones', () => {
    const check = checkAppliedOrder(
      [
        { object: 'a', position: at(1, 100) },
        { object: 'a', position: at(1, 100) },
        { object: 'b', position: at(1, 50) },
        { object: 'a', position: at(2, 4) },
      ],
      compareBinlogPositions,
    );
    expect(check).toEqual({ checked: 4, objects: 2, backwards: [] });
  });

  it('finds an older version applied after a newer one, by binlog file before position', () => {
    const check = checkAppliedOrder(
      [
        { object: 'a', position: at(2, 4) },
        { object: 'a', position: at(1, 900) },
        { object: 'a', position: at(2, 10) },
      ],
      compareBinlogPositions,
    );
    expect(check.backwards).toEqual([{ object: 'a', after: at(2, 4), applied: at(1, 900) }]);
  });
});

describe('support > failover figures > positions of PostgreSQL', () => {
  const at = (lsn: string) => JSON.stringify({ lsn });

  it('compares LSNs as numbers, not as text, in either spelling', () => {
    expect(compareLsnPositions(at('0/9'), at('0/10'))).toBeLessThan(0);
    expect(compareLsnPositions(at('1/0'), at('0/FFFFFFFF'))).toBeGreaterThan(0);
    expect(compareLsnPositions(at('00000016/B374D848'), at('16/B374D848'))).toBe(0);
  });

  it('finds an older WAL location applied after a newer one', () => {
    const check = checkAppliedOrder(
      [
        { object: 'a', position: at('0/1A0') },
        { object: 'a', position: at('0/1A0') },
        { object: 'a', position: at('0/9F0') },
        { object: 'a', position: at('0/1B0') },
      ],
      positionOrder('postgres'),
    );
    expect(check).toEqual({
      checked: 4,
      objects: 1,
      backwards: [{ object: 'a', after: at('0/9F0'), applied: at('0/1B0') }],
    });
  });

  it('is the binlog order for MariaDB', () => {
    expect(positionOrder('mariadb')).toBe(compareBinlogPositions);
  });
});

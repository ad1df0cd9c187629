import { describe, expect, it } from 'vitest';
import { DesiredShare, type Takeover } from '../../src/sink/runner/desired-share.js';

// Which nodes a sink replica may set back on drift: only those of the
// partitions assigned to it now, with a value it knows to be current.

describe('sink > DesiredShare', () => {
  it('corrects nodes of its first assignment with the values read at start', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    share.seed('b', 1, 'b1');
    share.assigned([0]);
    expect(share.correction('a')).toBe('a1');
    expect(share.correction('b')).toBeNull();
    expect([...share.correctable()]).toEqual([['a', 'a1']]);
  });

  it('corrects nothing before the group assigned partitions', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    expect(share.correction('a')).toBeNull();
  });

  it('uses the newest record it consumed, and nothing for a deleted node', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    share.seed('b', 0, 'b1');
    share.assigned([0]);
    share.received('a', 0, 'a2');
    share.received('b', 0, null);
    expect(share.correction('a')).toBe('a2');
    expect(share.correction('b')).toBeNull();
    expect(share.correction('unknown')).toBeNull();
  });

  it('leaves the nodes of a revoked partition to the replica that took it over', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    share.seed('b', 1, 'b1');
    share.assigned([0, 1]);
    share.assigned([0]);
    expect(share.correction('a')).toBe('a1');
    expect(share.correction('b')).toBeNull();
  });

  it('does not trust what it had for a partition taken over later, until a record of the node arrives', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    share.seed('b', 1, 'b1');
    share.seed('c', 1, 'c1');
    share.assigned([0]);
    // Another replica applied newer values of b and c meanwhile; the partition moves here.
    share.assigned([0, 1]);
    expect(share.correction('b')).toBeNull();
    share.received('b', 1, 'b3');
    expect(share.correction('b')).toBe('b3');
    expect(share.correction('c')).toBeNull();
    expect([...share.correctable()]).toEqual([
      ['a', 'a1'],
      ['b', 'b3'],
    ]);
  });

  it('keeps trusting a partition it held through a rebalance', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    share.assigned([0, 1]);
    share.received('a', 0, 'a2');
    share.assigned([0]);
    expect(share.correction('a')).toBe('a2');
  });

  it('does not trust a partition it lost and got back', () => {
    const share = new DesiredShare<string>(10_000);
    share.assigned([0]);
    share.received('a', 0, 'a2');
    share.assigned([]);
    share.assigned([0]);
    expect(share.correction('a')).toBeNull();
  });

  it('names the partitions to read: those taken over from their beginning, not those it kept', () => {
    const share = new DesiredShare<string>(10_000);
    share.seededTo(new Map([[0, 5n]]));
    // The first assignment: from where the read at start ended (the beginning where it had nothing).
    expect(share.assigned([0, 1])).toEqual([
      { partition: 0, since: 0, generation: 1, from: 5n },
      { partition: 1, since: 0, generation: 1, from: 0n },
    ]);
    expect(share.assigned([0])).toEqual([]);
    expect(share.assigned([0, 1, 2])).toEqual([
      { partition: 1, since: 3, generation: 3 },
      { partition: 2, since: 3, generation: 3 },
    ]);
  });

  it('at the first assignment, learns what another replica consumed after the read at start; its own records win', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    share.seed('b', 0, 'b1');
    const [first] = share.assigned([0]);
    share.received('b', 0, 'b3');
    expect(
      share.learned(
        first as Takeover,
        new Map([
          ['a', 'a2'],
          ['b', 'b2'],
        ]),
      ),
    ).toEqual(['a']);
    expect(share.correction('a')).toBe('a2');
    expect(share.correction('b')).toBe('b3');
  });

  it('after a take-over, corrects the nodes with the values its read of the partition found', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('b', 1, 'b1');
    share.seed('c', 1, 'c1');
    share.assigned([0]);
    const [takeover] = share.assigned([0, 1]);
    expect(share.correction('b')).toBeNull();
    // The other replica applied b2 and deleted c; d is new.
    const learned = share.learned(
      takeover as Takeover,
      new Map([
        ['b', 'b2'],
        ['c', null],
        ['d', 'd1'],
      ]),
    );
    expect(learned).toEqual(['b', 'd']);
    expect(share.correction('b')).toBe('b2');
    expect(share.correction('c')).toBeNull();
    expect(share.correction('d')).toBe('d1');
  });

  it('a record consumed since the take-over wins over what the read found', () => {
    const share = new DesiredShare<string>(10_000);
    share.assigned([0]);
    const [takeover] = share.assigned([0, 1]);
    share.received('b', 1, 'b3');
    share.received('c', 1, null);
    const learned = share.learned(
      takeover as Takeover,
      new Map([
        ['b', 'b2'],
        ['c', 'c2'],
      ]),
    );
    expect(learned).toEqual([]);
    expect(share.correction('b')).toBe('b3');
    expect(share.correction('c')).toBeNull();
    // A record after the read: the newest value again.
    share.received('b', 1, 'b4');
    expect(share.correction('b')).toBe('b4');
  });

  it('a record consumed before the take-over does not win over the read', () => {
    const share = new DesiredShare<string>(10_000);
    share.assigned([1]);
    share.received('b', 1, 'b1');
    share.assigned([]);
    const [takeover] = share.assigned([1]);
    expect(share.learned(takeover as Takeover, new Map([['b', 'b2']]))).toEqual(['b']);
    expect(share.correction('b')).toBe('b2');
  });

  it('drops a read of a partition revoked before the read ended', () => {
    const share = new DesiredShare<string>(10_000);
    share.assigned([0]);
    const [takeover] = share.assigned([0, 1]);
    share.assigned([0]);
    expect(share.current(takeover as Takeover)).toBe(false);
    expect(share.learned(takeover as Takeover, new Map([['b', 'b2']]))).toEqual([]);
    expect(share.correction('b')).toBeNull();
  });

  it('drops a read of a partition lost and got back: only the read of the latest take-over counts', () => {
    const share = new DesiredShare<string>(10_000);
    share.assigned([0]);
    const [first] = share.assigned([0, 1]);
    share.assigned([0]);
    const [second] = share.assigned([0, 1]);
    expect(share.learned(first as Takeover, new Map([['b', 'old']]))).toEqual([]);
    expect(share.correction('b')).toBeNull();
    expect(share.learned(second as Takeover, new Map([['b', 'new']]))).toEqual(['b']);
    expect(share.correction('b')).toBe('new');
  });

  it('a read still counts after a rebalance that kept the partition', () => {
    const share = new DesiredShare<string>(10_000);
    share.assigned([0]);
    const [takeover] = share.assigned([0, 1]);
    expect(share.assigned([1])).toEqual([]);
    expect(share.learned(takeover as Takeover, new Map([['b', 'b2']]))).toEqual(['b']);
    expect(share.correction('b')).toBe('b2');
  });

  it('corrects nothing once the membership may have lapsed (no heartbeat for a session timeout)', () => {
    const share = new DesiredShare<string>(10_000);
    share.seed('a', 0, 'a1');
    share.assigned([0], 1_000);
    expect(share.correction('a', 11_000)).toBe('a1');
    expect(share.correction('a', 11_001)).toBeNull();
    expect([...share.correctable(20_000)]).toEqual([]);
    share.alive(20_000);
    expect(share.correction('a', 20_000)).toBe('a1');
  });
});

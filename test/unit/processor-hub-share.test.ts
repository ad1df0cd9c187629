import { describe, expect, it } from 'vitest';
import { HubShare } from '../../src/processor/runner/hub-share.js';

describe('processor > hub share', () => {
  it('owns only the partitions of the last take-over', () => {
    const share = new HubShare();
    expect(share.owns('t', 0)).toBe(false);
    share.reset(new Map([['t', [1, 2]]]), new Map());
    expect(share.owns('t', 1)).toBe(true);
    expect(share.owns('t', 0)).toBe(false);
    expect(share.owns('other', 1)).toBe(false);
  });

  it('knows where each rebuilt partition stopped, and moves on with each committed batch', () => {
    const share = new HubShare();
    share.reset(new Map([['t', [0, 1]]]), new Map([['t', new Map([[0, 5n]])]]));
    expect(share.upTo('t', 0)).toBe(5n);
    // Nothing committed for the partition yet: the consumer starts at the beginning.
    expect(share.upTo('t', 1)).toBe(0n);
    share.advance('t', 0, 9n);
    expect(share.upTo('t', 0)).toBe(9n);
  });
});

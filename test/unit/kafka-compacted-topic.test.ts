import { describe, expect, it } from 'vitest';
import { LatestByKey } from '../../src/kafka/compacted-topic.js';

describe('kafka > compacted topic > latest by key', () => {
  it('keeps the last value per key; a tombstone removes the key and marks it deleted', () => {
    const state = new LatestByKey<{ v: number }>();
    state.offer({ key: 'a', value: { v: 1 }, timestampMs: 1 });
    state.offer({ key: 'b', value: { v: 1 }, timestampMs: 2 });
    state.offer({ key: 'a', value: { v: 2 }, timestampMs: 3 });
    state.offer({ key: 'b', value: null, timestampMs: 4 });
    expect(state.latest).toEqual(new Map([['a', { v: 2 }]]));
    expect([...state.deleted]).toEqual(['b']);
    expect(state.records).toBe(4);
    expect(state.keys).toBe(2);
  });

  it('a key written again after its tombstone is live again', () => {
    const state = new LatestByKey<string>();
    state.offer({ key: 'a', value: null, timestampMs: 1 });
    state.offer({ key: 'a', value: 'back', timestampMs: 2 });
    expect(state.latest.get('a')).toBe('back');
    expect(state.deleted.size).toBe(0);
  });

  it('an empty topic has no keys', () => {
    expect(new LatestByKey().keys).toBe(0);
  });
});

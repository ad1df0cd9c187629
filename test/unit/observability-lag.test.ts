import { describe, expect, it } from 'vitest';
import { topicLag } from '../../src/observability/index.js';

describe('Observability > consumer lag > topicLag', () => {
  const ends = [
    { partition: 0, low: '0', high: '10' },
    { partition: 1, low: '5', high: '8' },
  ];

  it('sums end minus committed offset over the partitions', () => {
    expect(
      topicLag(ends, [
        { partition: 0, offset: '7' },
        { partition: 1, offset: '8' },
      ]),
    ).toBe(3);
  });

  it('counts a partition the group never committed from its earliest offset', () => {
    expect(topicLag(ends, [{ partition: 0, offset: '-1' }])).toBe(13);
  });

  it('counts from the earliest offset when the committed one was deleted by retention', () => {
    expect(topicLag([{ partition: 0, low: '50', high: '60' }], [{ partition: 0, offset: '20' }])).toBe(10);
  });

  it('never goes below zero', () => {
    expect(topicLag([{ partition: 0, low: '0', high: '5' }], [{ partition: 0, offset: '9' }])).toBe(0);
  });
});

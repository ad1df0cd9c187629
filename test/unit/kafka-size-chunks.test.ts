import { describe, expect, it } from 'vitest';
import { chunksBySize } from '../../src/kafka/index.js';

describe('kafka > sends split by size', () => {
  const message = (bytes: number) => ({
    key: Buffer.from('k'),
    value: Buffer.alloc(bytes),
    headers: { h: 'v' },
  });

  it('keeps order and bounds each send', () => {
    const messages = Array.from({ length: 10 }, () => message(300));
    const chunks = chunksBySize(messages, 1_000);
    expect(chunks.flat()).toEqual(messages);
    expect(chunks.map((chunk) => chunk.length)).toEqual([3, 3, 3, 1]);
  });

  it('sends a message bigger than the bound on its own, and nothing for nothing', () => {
    expect(chunksBySize([message(10), message(5_000), message(10)], 1_000).map((c) => c.length)).toEqual([
      1, 1, 1,
    ]);
    expect(chunksBySize([], 1_000)).toEqual([]);
  });
});

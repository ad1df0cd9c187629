import { describe, expect, it } from 'vitest';
import { RowkubeError } from '../../src/core/errors.js';
import type { PackedValue } from '../../src/kafka/index.js';
import { SchemaCodec } from '../../src/kafka/schema-codec.js';
import { type DesiredWork, desiredOf } from '../../src/sink/runner/desired-work.js';

// Work parked behind a bulk holds the record's packed value and decodes it
// only when it runs: once, kept for retries; a value that does not decode
// fails the node for good, with the record's place in the message.

const codec = SchemaCodec.fromSchema({
  type: 'record',
  name: 'Node',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'form', type: 'string' },
  ],
});
const packed = (value: object): PackedValue => ({ bytes: codec.encode(value).toString('latin1'), codec });

describe('Sink > desired work > desiredOf', () => {
  it('decodes a packed value when first asked, once, and keeps it for retries', () => {
    const work: DesiredWork = {
      packed: { value: packed({ id: 'web/acme', form: 'web' }), receivedAtMs: 1 },
      record: { partition: 0, offset: 7n },
      verify: false,
    };
    const first = desiredOf(work);
    expect(first).toMatchObject({ id: 'web/acme', form: 'web' });
    expect(work.packed).toBeUndefined();
    expect(desiredOf(work)).toBe(first);
  });

  it('takes a tombstone (null) and a decoded value as they are', () => {
    expect(desiredOf({ packed: { value: null, receivedAtMs: undefined }, verify: false })).toBeNull();
    expect(desiredOf({ value: null, verify: true })).toBeNull();
  });

  it('fails for good with the partition and offset when the bytes do not decode', () => {
    const work: DesiredWork = {
      packed: { value: { bytes: '\u0001', codec }, receivedAtMs: 1 },
      record: { partition: 2, offset: 41n },
      verify: false,
    };
    let failure: unknown;
    try {
      desiredOf(work);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(RowkubeError);
    expect((failure as RowkubeError).retriable).toBe(false);
    expect((failure as Error).message).toContain(
      'the desired record (partition 2, offset 41) does not decode',
    );
    // Not taken as a tombstone: the work still holds what it could not read.
    expect(work.packed).toBeDefined();
  });
});

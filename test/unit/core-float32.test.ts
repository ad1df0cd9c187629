import { describe, expect, it } from 'vitest';
import { shortestFloat32 } from '../../src/core/float32.js';

describe('core > float32 > shortestFloat32', () => {
  it('gives the shortest decimal that rounds to the same 32-bit float', () => {
    expect(shortestFloat32(0.10000000149011612)).toBe(0.1);
    expect(shortestFloat32(0.1)).toBe(0.1);
    expect(shortestFloat32(3.3999999521443642e38)).toBe(3.4e38);
    expect(shortestFloat32(16777217)).toBe(16777216);
    expect(shortestFloat32(1.401298464324817e-45)).toBe(1e-45);
  });

  it('round-trips every value it returns to the same 32-bit float', () => {
    for (let i = 0; i < 2_000; i++) {
      const bits = (Math.random() * 0xffffffff) >>> 0;
      const view = new DataView(new ArrayBuffer(4));
      view.setUint32(0, bits);
      const exact = view.getFloat32(0);
      if (!Number.isFinite(exact)) continue;
      const shortest = shortestFloat32(exact);
      expect(Math.fround(shortest)).toBe(exact);
      // Nine significant digits at most.
      expect(Number(shortest.toPrecision(9))).toBe(shortest);
    }
  });

  it('passes NaN, the infinities and signed zeros through', () => {
    expect(shortestFloat32(Number.NaN)).toBeNaN();
    expect(shortestFloat32(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(shortestFloat32(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(shortestFloat32(-0), -0)).toBe(true);
    // Past the largest 32-bit float: Infinity, as the database would store it.
    expect(shortestFloat32(3.5e38)).toBe(Number.POSITIVE_INFINITY);
  });
});

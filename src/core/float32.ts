// The one rule for 32-bit floating-point columns (MySQL/MariaDB FLOAT,
// PostgreSQL real/float4), applied by every connector on both the snapshot
// and the stream path.
//
// A 32-bit float widened to a JS number shows digits the column never held
// (FLOAT 0.1 reads 0.10000000149011612 from the binlog), while a database's
// text output may show fewer than it holds (MariaDB prints six significant
// digits). Neither is stable, so both paths read the exact 32-bit value and
// write the shortest decimal that reads back as that same 32-bit value:
// 0.1 → 0.1, 3.4e38 → 3.4e38, 16777217 (stored as 16777216) → 16777216.

/**
 * The shortest decimal (as a JS number) that rounds to the same 32-bit float
 * as `value`. NaN, ±Infinity and ±0 pass through unchanged.
 */
export function shortestFloat32(value: number): number {
  const exact = Math.fround(value);
  if (!Number.isFinite(exact) || exact === 0) return exact;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(exact.toPrecision(digits));
    if (Math.fround(candidate) === exact) return candidate;
  }
  // Nine significant digits always identify a 32-bit float.
  return Number(exact.toPrecision(9));
}

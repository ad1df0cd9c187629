// The time a hub row expires (hubs[].expireAt), from the column's value as
// the change events carry it. Capture gives DATETIME (MySQL, MariaDB) and
// PostgreSQL's timestamp as "YYYY-MM-DDTHH:MM:SS[.ffffff]" with no zone, and
// TIMESTAMP / timestamptz as the same with "Z" (src/core/change-event.ts);
// applications that keep times as numbers store epoch milliseconds. A value
// with no zone is read as UTC: the database has no zone to tell, and UTC is
// what a server that keeps DATETIMEs in UTC means. A value that is not a time
// is the row's error, never "never expires", which would keep a preview
// environment for good over a typo.

export type ExpiryTime =
  /** atMs null: NULL, the row never expires. */
  { ok: true; atMs: number | null } | { ok: false; reason: string };

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** NULL → never; a Date, epoch ms (number, bigint or digits) or ISO 8601 text → ms since epoch. */
export function expiryTime(value: unknown): ExpiryTime {
  if (value === null || value === undefined) return { ok: true, atMs: null };
  if (value instanceof Date) return finite(value.getTime(), value);
  if (typeof value === 'number') return Number.isInteger(value) ? finite(value, value) : notATime(value);
  if (typeof value === 'bigint') return finite(Number(value), value);
  if (typeof value !== 'string') return notATime(value);
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return finite(Number(text), value);
  const match = ISO.exec(text);
  if (match === null) return notATime(value);
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone] = match;
  // Milliseconds only: the rest of a microsecond fraction is below what a timer can tell.
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    ms,
  );
  const check = new Date(utc);
  // Date.UTC rolls 2026-02-31 over into March: that is not the time written.
  if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day)) return notATime(value);
  return finite(utc - zoneOffsetMs(zone), value);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

function finite(atMs: number, value: unknown): ExpiryTime {
  return Number.isFinite(atMs) && Math.abs(atMs) <= 8.64e15 ? { ok: true, atMs } : notATime(value);
}

function notATime(value: unknown): ExpiryTime {
  const shown = typeof value === 'bigint' ? `${value}` : (JSON.stringify(value) ?? String(value));
  return {
    ok: false,
    reason: `${shown} is not a time: use a DATETIME/TIMESTAMP (timestamp/timestamptz) column, epoch milliseconds or ISO 8601 text, or NULL for never`,
  };
}

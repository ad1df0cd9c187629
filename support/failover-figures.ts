// What the failover and split-brain runs conclude from what they read back,
// as plain functions over plain data (unit-tested in
// test/unit/support-failover-figures.test.ts): how long each takeover took,
// whether capture lost or repeated a change, whether the sink ever applied
// an older version of an object after a newer one.

import { compareMysqlPositions } from '../connectors/mysql/mysql-offset.js';
import { compareLsn } from '../connectors/postgres/postgres-offset.js';

/** One committed record of the change topic, reduced to what the checks need. */
export interface CapturedChange {
  /** The row's `seq` after the change (support/steady-writer.ts). */
  seq: number;
  /** The record's timestamp: when the capturing replica's producer sent it. */
  timestampMs: number;
}

/**
 * Per kill: ms from the kill to the first change-topic record sent after it.
 * A killed leader sends nothing after its kill, so that record is the new
 * leader's first capture; null when nothing was captured after the kill (or
 * before the next kill: that takeover never happened).
 */
export function takeoverMs(
  killsAtMs: readonly number[],
  captured: readonly CapturedChange[],
): (number | null)[] {
  const sent = captured.map((c) => c.timestampMs).sort((a, b) => a - b);
  return killsAtMs.map((killAt, i) => {
    const next = killsAtMs[i + 1] ?? Number.POSITIVE_INFINITY;
    const first = sent.find((t) => t > killAt);
    return first === undefined || first >= next ? null : first - killAt;
  });
}

export interface ChangeAccounting {
  /** Writes made (seq 1 … written). */
  written: number;
  /** Of them, how many the change topic holds at least once. */
  captured: number;
  /** Writes the change topic does not hold. */
  lost: number;
  /** Writes the change topic holds more than once (a change captured twice). */
  duplicated: number;
  /** A few of the lost and duplicated seqs, for the message. */
  examples: { lost: number[]; duplicated: number[] };
}

/** Compares the writes (seq 1 … written) with the change topic's records; the seeded rows (seq 0) are left out. */
export function accountChanges(written: number, captured: readonly CapturedChange[]): ChangeAccounting {
  const times = new Map<number, number>();
  for (const { seq } of captured) if (seq > 0) times.set(seq, (times.get(seq) ?? 0) + 1);
  const lost: number[] = [];
  for (let seq = 1; seq <= written; seq++) if (!times.has(seq)) lost.push(seq);
  const duplicated = [...times].filter(([, n]) => n > 1).map(([seq]) => seq);
  return {
    written,
    captured: written - lost.length,
    lost: lost.length,
    duplicated: duplicated.length,
    examples: { lost: lost.slice(0, 5), duplicated: duplicated.slice(0, 5) },
  };
}

/** One audit event of an object in place, reduced to its order key. */
export interface AppliedVersion {
  /** kind/namespace/name. */
  object: string;
  /** The source position of the desired record the sink applied (provenance.position). */
  position: string;
}

export interface OrderCheck {
  /** Applied versions looked at. */
  checked: number;
  /** Objects seen. */
  objects: number;
  /** Events that applied an older position than one applied before to the same object. */
  backwards: { object: string; after: string; applied: string }[];
}

/**
 * Per object, in audit order, the applied positions must never go backwards:
 * applying the same version again is harmless (`unchanged`), an older one
 * after a newer one is the split brain this check exists to catch.
 */
export function checkAppliedOrder(
  applied: readonly AppliedVersion[],
  compare: (a: string, b: string) => number,
): OrderCheck {
  const newest = new Map<string, string>();
  const backwards: OrderCheck['backwards'] = [];
  for (const { object, position } of applied) {
    const before = newest.get(object);
    if (before !== undefined && compare(position, before) < 0)
      backwards.push({ object, after: before, applied: position });
    else newest.set(object, position);
  }
  return { checked: applied.length, objects: newest.size, backwards };
}

/**
 * Binlog positions in order. A MariaDB or MySQL change's provenance holds its
 * position as JSON text, e.g. {"file":"mariadb-bin.000030","pos":"10321",…}
 * (pos as a string).
 */
export function compareBinlogPositions(a: string, b: string): number {
  const binlog = (text: string) => {
    const { file, pos } = JSON.parse(text) as { file: string; pos: string | number };
    return { file, pos: Number(pos) };
  };
  return compareMysqlPositions(binlog(a), binlog(b));
}

/**
 * WAL locations in order. A PostgreSQL change's provenance holds its position
 * as JSON text, {"lsn":"0/1A2B3C4D"}; an LSN's text does not compare as text
 * ("0/9" is before "0/10"), so it is compared as the number it spells.
 */
export function compareLsnPositions(a: string, b: string): number {
  const lsn = (text: string) => (JSON.parse(text) as { lsn: string }).lsn;
  return compareLsn(lsn(a), lsn(b));
}

/** The order of a database's source positions, for checkAppliedOrder. */
export function positionOrder(database: 'mariadb' | 'postgres'): (a: string, b: string) => number {
  return database === 'postgres' ? compareLsnPositions : compareBinlogPositions;
}

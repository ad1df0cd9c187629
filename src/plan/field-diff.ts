import { FORM_VERSION_ANNOTATION } from '../contracts/index.js';
import { OwnerAnnotation, withoutFields } from '../sink/ownership/index.js';
import type { FieldChange } from './plan-types.js';

// Which fields of an object change, as paths a reader can paste into
// ignoreFields (`spec.template.spec.containers[0].image`,
// `metadata.annotations["example.com/x"]`). Pure: the live object and the
// server's dry-run result (or the desired manifest) in, changes out.

/**
 * Fields that differ on every write and say nothing about what changes: the
 * server's bookkeeping, status (the sink never writes it), and rowkube's own
 * marks of content and provenance (a new hash is what any change looks like).
 */
const NOISE: readonly string[] = [
  'metadata.managedFields',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.creationTimestamp',
  'metadata.uid',
  'metadata.selfLink',
  'status',
  ...[
    OwnerAnnotation.contentHash,
    OwnerAnnotation.sourcePosition,
    OwnerAnnotation.commitTime,
    FORM_VERSION_ANNOTATION,
  ].map((key) => `metadata.annotations[${JSON.stringify(key)}]`),
];

const ABSENT = Symbol('absent');
type Value = unknown | typeof ABSENT;

/** `path` + one key or index, written as ignoreFields parses it. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) && key !== '$') return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** The object without the fields no diff should show, and without the resource's ignoreFields. */
export function comparable<T extends object>(object: T, ignoreFields: readonly string[] = []): T {
  return withoutFields(object, [...NOISE, ...ignoreFields]);
}

/**
 * Every field that differs between the live object and what it would be
 * after the apply (the dry-run result), noise and ignoreFields left out.
 * Objects are compared key by key (sorted), arrays index by index; a field
 * present on one side only is an addition or a removal.
 */
export function fieldChanges(
  live: object,
  after: object,
  ignoreFields: readonly string[] = [],
): FieldChange[] {
  const changes: FieldChange[] = [];
  walk('', comparable(live, ignoreFields), comparable(after, ignoreFields), changes);
  return changes;
}

/**
 * The fields the desired manifest sets to something else than the live
 * object has: what an object that cannot be updated in place would change,
 * read without the server (whose dry run refuses it). Fields the manifest
 * does not set are not looked at.
 */
export function desiredChanges(
  live: object,
  desired: object,
  ignoreFields: readonly string[] = [],
): FieldChange[] {
  const changes: FieldChange[] = [];
  walkDesired('', comparable(live, ignoreFields), comparable(desired, ignoreFields), changes);
  return changes;
}

function walk(path: string, before: Value, after: Value, out: FieldChange[]): void {
  if (same(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(childPath(path, key), member(before, key), member(after, key), out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let index = 0; index < Math.max(before.length, after.length); index += 1)
      walk(
        childPath(path, index),
        index < before.length ? before[index] : ABSENT,
        index < after.length ? after[index] : ABSENT,
        out,
      );
    return;
  }
  out.push(change(path, before, after));
}

function walkDesired(path: string, live: Value, desired: Value, out: FieldChange[]): void {
  if (same(live, desired)) return;
  if (isRecord(live) && isRecord(desired)) {
    for (const key of Object.keys(desired).sort())
      walkDesired(childPath(path, key), member(live, key), desired[key], out);
    return;
  }
  if (Array.isArray(live) && Array.isArray(desired) && live.length === desired.length) {
    for (const [index, item] of desired.entries())
      walkDesired(childPath(path, index), live[index], item, out);
    return;
  }
  out.push(change(path, live, desired));
}

function change(path: string, before: Value, after: Value): FieldChange {
  return {
    path,
    ...(before === ABSENT ? {} : { old: before }),
    ...(after === ABSENT ? {} : { new: after }),
  };
}

function member(record: Record<string, unknown>, key: string): Value {
  return Object.hasOwn(record, key) ? record[key] : ABSENT;
}

function isRecord(value: Value): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON data. */
export function same(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]))
    );
  }
  return false;
}

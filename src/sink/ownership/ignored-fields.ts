import { type FieldPath, parseFieldPath } from './field-path.js';
import type { Manifest } from './owned-manifest.js';

// ignoreFields: fields rowkube sets when it creates an object and never
// changes afterwards (spec.replicas under an autoscaler, an annotation a
// human edits). For an object that exists, each ignored field of the desired
// manifest takes the live object's value.
//
// Why copy instead of dropping the field from the manifest: with server-side
// apply, leaving out a field that rowkube's field manager owns (it set it at
// creation) tells the API server rowkube no longer wants it, and the server
// DELETES it — the autoscaler's replicas would reset to the default. Applying
// the live value instead changes nothing and keeps rowkube's field ownership
// stable. (Should another manager change the field between the read and the
// apply, the apply meets a conflict, which conflictPolicy handles like any
// other.)

/**
 * A deep copy of `desired` in which every ignored path holds the live
 * object's value, or is removed when the live object has none. With no live
 * object (it is about to be created) the copy is unchanged: ignored fields
 * are set at creation. Throws ROWKUBE_ERR_CONFIG for a path parseFieldPath
 * refuses.
 *
 * Limits, each leaving desired as it is at that path: an index into an array
 * desired does not have (creating sparse arrays would invent elements), a
 * path through a non-object, and removing an array element (it would shift
 * the elements after it).
 */
export function withIgnoredFields(
  desired: Manifest,
  live: object | undefined,
  paths: readonly string[],
): Manifest {
  const result = structuredClone(desired);
  if (live === undefined) return result;
  for (const text of paths) {
    const path = parseFieldPath(text);
    const found = valueAt(live, path);
    if (found.present) setAt(result, path, structuredClone(found.value));
    else removeAt(result, path);
  }
  return result;
}

/** A copy of `object` without the fields at `paths`: what rowkube's content of it is, ignored fields aside. */
export function withoutFields<T extends object>(object: T, paths: readonly string[]): T {
  if (paths.length === 0) return object;
  const result = structuredClone(object);
  for (const text of paths) removeAt(result as Manifest, parseFieldPath(text));
  return result;
}

type Lookup = { present: true; value: unknown } | { present: false };

function valueAt(root: unknown, path: FieldPath): Lookup {
  let current = root;
  for (const key of path) {
    const container = containerFor(current, key);
    if (container === undefined || !Object.hasOwn(container, key)) return { present: false };
    current = (container as Record<string | number, unknown>)[key];
  }
  return { present: true, value: current };
}

function setAt(root: Manifest, path: FieldPath, value: unknown): void {
  let current: unknown = root;
  for (const [position, key] of path.entries()) {
    const container = containerFor(current, key);
    if (container === undefined) return;
    if (Array.isArray(container) && (key as number) >= container.length) return;
    const record = container as Record<string | number, unknown>;
    if (position === path.length - 1) {
      record[key] = value;
      return;
    }
    if (!Object.hasOwn(record, key) || record[key] === undefined || record[key] === null) {
      if (typeof path[position + 1] === 'number') return;
      record[key] = {};
    }
    current = record[key];
  }
}

function removeAt(root: Manifest, path: FieldPath): void {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path.at(-1);
  if (!parent.present || typeof key !== 'string') return;
  const container = containerFor(parent.value, key);
  if (container !== undefined) delete (container as Record<string, unknown>)[key];
}

/** The object or array that a key can index into, or undefined when `value` is neither of the right kind. */
function containerFor(value: unknown, key: string | number): object | undefined {
  if (typeof key === 'number') return Array.isArray(value) ? value : undefined;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

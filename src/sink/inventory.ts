import type { FormConfig } from '../core/config/form-schema.js';
import type { AppliedHashes } from './apply/sink-context.js';
import type { KubeApi, KubeObject, ObjectRef } from './kube/index.js';
import { OwnerAnnotation, ownerOf, ownerSelector } from './ownership/index.js';
import type { RequestLimiter } from './runner/request-limiter.js';

// What rowkube has in the cluster, per node: the objects to prune when a
// resource leaves its form or the node goes away. Kept in memory and seeded at
// start by listing every object that carries this installation's owner labels,
// for every kind the forms produce; the objects themselves (labels and the
// deletion-policy annotation) are the record, so nothing else has to be stored.

export interface OwnedObject {
  ref: ObjectRef;
  resourceId: string;
  deletionPolicy: 'Delete' | 'Retain';
}

export class Inventory {
  // Each node's objects as one line of text each (packed below), not as objects:
  // the inventory holds every object rowkube owns, and reads a node's only to
  // prune or delete it.
  private readonly byNode = new Map<string, string[]>();

  objectsOf(nodeId: string): OwnedObject[] {
    return (this.byNode.get(nodeId) ?? []).map(unpack);
  }

  has(nodeId: string): boolean {
    return this.byNode.has(nodeId);
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  /** Replaces what a node owns. */
  set(nodeId: string, objects: readonly OwnedObject[]): void {
    this.byNode.delete(nodeId);
    for (const object of objects) this.add(nodeId, object);
  }

  add(nodeId: string, object: OwnedObject): void {
    const lines = this.byNode.get(nodeId) ?? [];
    const key = refKey(object.ref);
    const at = lines.findIndex((line) => keyOf(line) === key);
    if (at >= 0) lines[at] = pack(key, object);
    else lines.push(pack(key, object));
    this.byNode.set(nodeId, lines);
  }

  remove(nodeId: string, ref: ObjectRef): void {
    const lines = this.byNode.get(nodeId);
    if (lines === undefined) return;
    const key = refKey(ref);
    const kept = lines.filter((line) => keyOf(line) !== key);
    if (kept.length === 0) this.byNode.delete(nodeId);
    else this.byNode.set(nodeId, kept);
  }

  /**
   * Lists this installation's objects of every kind the forms name; returns
   * how many. Their content-hash annotations go into `hashes`, so after a
   * restart an unchanged object is recognised without asking the server again.
   * `namespaces`: the only namespaces rowkube may write to (allowedNamespaces
   * without wildcards); namespaced kinds are listed in each of them rather
   * than across the cluster, which a Role per namespace allows.
   */
  async seed(
    kube: KubeApi,
    limiter: RequestLimiter,
    prefix: string,
    forms: readonly FormConfig[],
    hashes: AppliedHashes,
    namespaces?: readonly string[],
  ): Promise<number> {
    const listed: KubeObject[] = [];
    for (const { apiVersion, kind } of formKinds(forms)) {
      const scoped =
        namespaces !== undefined && (await limiter.run(() => kube.isNamespaced(apiVersion, kind)));
      const objects: KubeObject[] = [];
      for (const namespace of scoped ? namespaces : [undefined]) {
        const options = namespace === undefined ? {} : { namespace };
        objects.push(
          ...(await limiter.run(() => kube.list(apiVersion, kind, ownerSelector(prefix), options))),
        );
      }
      listed.push(...objects);
    }
    return this.seedFrom(listed, prefix, hashes);
  }

  /**
   * Takes in objects already listed (the watch cache's first LIST): those
   * that prove to be this installation's enter the inventory, their content
   * hashes go into `hashes`. Returns how many.
   */
  seedFrom(objects: Iterable<KubeObject>, prefix: string, hashes: AppliedHashes): number {
    let count = 0;
    for (const object of objects) {
      const owner = ownerOf(object);
      if (owner === undefined || owner.prefix !== prefix) continue;
      const owned = ownedObject(object, owner.resourceId);
      this.add(owner.nodeId, owned);
      const hash = object.metadata.annotations?.[OwnerAnnotation.contentHash];
      if (hash !== undefined) hashes.set(refKey(owned.ref), hash);
      count += 1;
    }
    return count;
  }
}

export function ownedObject(object: KubeObject, resourceId: string): OwnedObject {
  const { apiVersion, kind, metadata } = object;
  const ref: ObjectRef = { apiVersion, kind, name: metadata.name ?? '' };
  if (metadata.namespace) ref.namespace = metadata.namespace;
  const policy = metadata.annotations?.[OwnerAnnotation.deletionPolicy];
  return { ref, resourceId, deletionPolicy: policy === 'Retain' ? 'Retain' : 'Delete' };
}

export function refKey(ref: ObjectRef): string {
  // join, not a template: a template's result is a rope (a "concatenated
  // string" plus, once hashed as a map key, a flat copy); the key of every
  // owned object in several maps is worth one flat string.
  return [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name].join('|');
}

// An inventory line: refKey, tab, D or R (the deletion policy), tab, resource
// id. Neither an apiVersion, a kind, a namespace nor a name holds a tab or a
// '|'; the resource id comes last, so whatever it holds is read back whole.

function pack(key: string, object: OwnedObject): string {
  return [key, object.deletionPolicy === 'Retain' ? 'R' : 'D', object.resourceId].join('\t');
}

function keyOf(line: string): string {
  return line.slice(0, line.indexOf('\t'));
}

function unpack(line: string): OwnedObject {
  const tab = line.indexOf('\t');
  const [apiVersion = '', kind = '', namespace = '', name = ''] = line.slice(0, tab).split('|');
  const ref: ObjectRef = { apiVersion, kind, name };
  if (namespace !== '') ref.namespace = namespace;
  const deletionPolicy = line[tab + 1] === 'R' ? 'Retain' : 'Delete';
  return { ref, resourceId: line.slice(tab + 3), deletionPolicy };
}

/**
 * The kinds the forms produce, by their manifests' literal apiVersion and
 * kind. A kind that is itself a template cannot be known before rendering; its
 * objects are still pruned while the sink runs, but not found after a restart.
 */
export function formKinds(forms: readonly FormConfig[]): { apiVersion: string; kind: string }[] {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const form of forms) {
    for (const { manifest } of form.resources) {
      const { apiVersion, kind } = manifest as { apiVersion: string; kind: string };
      if (apiVersion.includes('{') || kind.includes('{')) continue;
      kinds.set(`${apiVersion}|${kind}`, { apiVersion, kind });
    }
  }
  return [...kinds.values()];
}

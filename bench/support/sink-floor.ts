import { performance } from 'node:perf_hooks';
import type { KubeApi, KubeObject } from '../../src/sink/kube/index.js';
import { ownedManifest } from '../../src/sink/ownership/index.js';
import { BENCH_HUB } from './bench-config.js';
import { type CpuFigures, startCpuMeter } from './sink-cpu.js';
import type { BenchNode } from './sink-nodes.js';

// The floor: what this API server does with the same objects when nothing
// but server-side apply stands between them and the cluster — one PATCH per
// object, `concurrency` requests in flight, through the sink's own
// KubeClient. The objects are the sink's exactly (owner labels, provenance
// and content-hash annotations: the same bytes on the wire), placed in the
// floor's own namespace so that each phase creates its objects from nothing.

export interface FloorFigures {
  objectsPerSec: number;
  objects: number;
  seconds: number;
  concurrency: number;
  cpu: CpuFigures;
}

/** The objects the sink would apply for `nodes`, in `namespace` instead of the form's. */
export function floorObjects(nodes: readonly BenchNode[], prefix: string, namespace: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const { update, provenance } of nodes) {
    if (update.result.kind !== 'node') continue;
    const [form] = update.id.split('/');
    for (const resource of update.result.resources) {
      const owner = {
        prefix,
        hub: BENCH_HUB,
        form: form as string,
        nodeId: update.id,
        resourceId: resource.id,
      };
      const owned = ownedManifest(resource.manifest, owner, provenance, {
        namespaced: true,
        targetNamespace: namespace,
        deletionPolicy: resource.deletionPolicy,
      });
      objects.push(owned as KubeObject);
    }
  }
  return objects;
}

/** Applies every object with `concurrency` requests in flight; the first failure stops it. */
export async function benchApplyFloor(
  kube: KubeApi,
  objects: readonly KubeObject[],
  options: { concurrency: number; fieldManager: string },
): Promise<FloorFigures> {
  return benchApplyFloorOf(kube, objects, options);
}

/** Objects looked at before the clock starts, for the kinds to discover. */
const LOOK_AHEAD = 64;

/**
 * As benchApplyFloor, with the objects made as they are applied (a
 * generator): 100,000 tenants' 300,000 objects never sit in memory at once.
 * The workers take the next object from the one iterator.
 */
export async function benchApplyFloorOf(
  kube: KubeApi,
  objects: Iterable<KubeObject>,
  { concurrency, fieldManager }: { concurrency: number; fieldManager: string },
): Promise<FloorFigures> {
  const source = objects[Symbol.iterator]();
  // Discovery is cached per kind after its first use; the sink pays it once
  // at start too, so it stays out of both clocks' steady state. Every tenant
  // has the same kinds, so the first objects name them all (a kind seen only
  // later is looked up when it comes).
  const ahead: KubeObject[] = [];
  while (ahead.length < LOOK_AHEAD) {
    const next = source.next();
    if (next.done === true) break;
    ahead.push(next.value);
  }
  if (ahead.length === 0) throw new Error('the floor has no objects to apply');
  const kinds = new Set<string>();
  for (const object of ahead) {
    const kind = `${object.apiVersion} ${object.kind}`;
    if (kinds.has(kind)) continue;
    kinds.add(kind);
    await kube.isNamespaced(object.apiVersion, object.kind);
  }
  const take = (): KubeObject | undefined => {
    if (ahead.length > 0) return ahead.shift();
    const next = source.next();
    return next.done === true ? undefined : next.value;
  };
  const stopCpu = startCpuMeter();
  const t0 = performance.now();
  let applied = 0;
  let failed = false;
  const worker = async () => {
    for (let object = take(); object !== undefined && !failed; object = take()) {
      const kind = `${object.apiVersion} ${object.kind}`;
      if (!kinds.has(kind)) {
        kinds.add(kind);
        await kube.isNamespaced(object.apiVersion, object.kind);
      }
      try {
        await kube.apply(object, { fieldManager, force: false });
        applied += 1;
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    objectsPerSec: Math.round(applied / seconds),
    objects: applied,
    seconds: Math.round(seconds * 100) / 100,
    concurrency,
    cpu: stopCpu(),
  };
}

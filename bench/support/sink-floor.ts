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
  { concurrency, fieldManager }: { concurrency: number; fieldManager: string },
): Promise<FloorFigures> {
  // Discovery is cached per kind after its first use; the sink pays it once
  // at start too, so it stays out of both clocks' steady state.
  for (const kind of new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`))) {
    const [apiVersion, name] = kind.split(' ') as [string, string];
    await kube.isNamespaced(apiVersion, name);
  }
  const stopCpu = startCpuMeter();
  const t0 = performance.now();
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < objects.length && !failed) {
      const object = objects[next++] as KubeObject;
      try {
        await kube.apply(object, { fieldManager, force: false });
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    objectsPerSec: Math.round(objects.length / seconds),
    objects: objects.length,
    seconds: Math.round(seconds * 100) / 100,
    concurrency,
    cpu: stopCpu(),
  };
}

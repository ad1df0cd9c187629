import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { KubeApi } from '../../src/sink/kube/index.js';
import { E2E_FORM } from './bench-config.js';
import { tenantRow } from './e2e-rows.js';
import { benchApplyFloorOf, type FloorFigures, floorObjects } from './sink-floor.js';
import { type BenchNode, renderRows } from './sink-nodes.js';

/** Tenants rendered at a time: the floor's objects are made as they are applied, a chunk ahead. */
const RENDER_CHUNK = 500;

// The bulk phase's floor: the same objects the pipeline provisions for the
// bulk's tenants, rendered by the processor's own renderNode from the rows
// the bench inserts and marked as the sink marks them, applied with nothing
// but server-side apply (the sink bench's floor, support/sink-floor.ts) at
// the sink's concurrency, into a namespace of their own.

export interface E2eFloorOptions {
  config: RowkubeConfig;
  /** Tenants firstId … firstId+count-1, as the bulk inserts them. */
  firstId: number;
  count: number;
  /** Owner prefix of the floor's objects: not the pipeline's, so the sink's inventory never finds them. */
  ownerPrefix: string;
  namespace: string;
  /** The form whose objects are applied; default bench:e2e's. */
  form?: string;
}

export async function benchE2eFloor(kube: KubeApi, options: E2eFloorOptions): Promise<FloorFigures> {
  function* objects() {
    for (let first = options.firstId; first < options.firstId + options.count; first += RENDER_CHUNK) {
      const count = Math.min(RENDER_CHUNK, options.firstId + options.count - first);
      yield* floorObjects(
        renderTenants(options.config, options.form ?? E2E_FORM, first, count),
        options.ownerPrefix,
        options.namespace,
      );
    }
  }
  return benchApplyFloorOf(kube, objects(), {
    concurrency: options.config.kubernetes.concurrency,
    fieldManager: options.config.kubernetes.fieldManager,
  });
}

function renderTenants(config: RowkubeConfig, form: string, firstId: number, count: number): BenchNode[] {
  const rows = Array.from({ length: count }, (_, i) => ({ ...tenantRow(firstId + i) }));
  return renderRows(config, form, rows, Date.now());
}

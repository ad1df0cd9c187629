import { canonicalJson, contentHash } from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { renderNode } from '../../src/processor/render-node.js';
import type { KubeApi } from '../../src/sink/kube/index.js';
import { E2E_FORM } from './e2e-config.js';
import { tenantRow } from './e2e-rows.js';
import { BENCH_HUB } from './sink-config.js';
import { benchApplyFloor, type FloorFigures, floorObjects } from './sink-floor.js';
import type { BenchNode } from './sink-nodes.js';

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
}

export async function benchE2eFloor(kube: KubeApi, options: E2eFloorOptions): Promise<FloorFigures> {
  const nodes = renderTenants(options.config, options.firstId, options.count);
  const objects = floorObjects(nodes, options.ownerPrefix, options.namespace);
  return benchApplyFloor(kube, objects, {
    concurrency: options.config.kubernetes.concurrency,
    fieldManager: options.config.kubernetes.fieldManager,
  });
}

function renderTenants(config: RowkubeConfig, firstId: number, count: number): BenchNode[] {
  const form = config.forms.find((f) => f.name === E2E_FORM);
  const hub = config.hubs.find((h) => h.name === BENCH_HUB);
  if (form === undefined || hub === undefined)
    throw new Error(`the e2e bench configuration has no form '${E2E_FORM}' on hub '${BENCH_HUB}'`);
  const commitTsMs = BigInt(Date.now());
  const nodes: BenchNode[] = [];
  for (let id = firstId; id < firstId + count; id++) {
    const row = { ...tenantRow(id) };
    const result = renderNode({ form, hub, row, lookups: new Map() });
    if (result.kind !== 'node') {
      const why = result.kind === 'error' ? result.error.message : result.reason;
      throw new Error(`rendering tenant ${row.tenant_id} for the floor failed: ${why}`);
    }
    nodes.push({
      update: { id: result.id, result, hash: contentHash(result) },
      provenance: {
        source: hub.source,
        table: hub.table,
        position: JSON.stringify({ file: 'e2e-bin.000001', pos: 4 + id * 300 }),
        commitTsMs,
        primaryKey: canonicalJson({ tenant_id: row.tenant_id }),
      },
    });
  }
  return nodes;
}

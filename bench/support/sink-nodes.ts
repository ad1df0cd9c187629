import type { Provenance } from '../../src/contracts/index.js';
import { canonicalJson, contentHash } from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { NodeUpdate } from '../../src/processor/materializer/index.js';
import { renderNode } from '../../src/processor/render-node.js';
import { BENCH_FORM, BENCH_HUB } from './bench-config.js';

// Nodes rendered by the processor's own renderNode from hub rows: the desired
// records the sink bench writes, and the objects both floors apply, then hold
// exactly what `rowkube process` would have produced for those rows.

export interface BenchNode {
  update: NodeUpdate;
  provenance: Provenance;
}

/** Renders `rows` of the bench hub (keyed by tenant_id) with form `formName`; `commitTsMs` stands for every row's commit. */
export function renderRows(
  config: RowkubeConfig,
  formName: string,
  rows: readonly Record<string, unknown>[],
  commitTsMs: number,
): BenchNode[] {
  const form = config.forms.find((f) => f.name === formName);
  const hub = config.hubs.find((h) => h.name === BENCH_HUB);
  if (form === undefined || hub === undefined)
    throw new Error(`the bench configuration has no form '${formName}' on hub '${BENCH_HUB}'`);
  return rows.map((row, i) => {
    const result = renderNode({ form, hub, row, lookups: new Map() });
    if (result.kind !== 'node') {
      const why = result.kind === 'error' ? result.error.message : result.reason;
      throw new Error(`rendering bench node ${String(row.tenant_id)} failed: ${why}`);
    }
    return {
      update: { id: result.id, result, hash: contentHash(result) },
      provenance: {
        source: hub.source,
        table: hub.table,
        position: JSON.stringify({ file: 'bench-bin.000001', pos: 4 + (i + 1) * 300 }),
        commitTsMs: BigInt(commitTsMs),
        primaryKey: canonicalJson({ tenant_id: row.tenant_id }),
      },
    };
  });
}

/** bench:apply's `count` nodes, uids t00001…, made up as a hub row would be. */
export function renderBenchNodes(config: RowkubeConfig, count: number, commitTsMs: number): BenchNode[] {
  const width = Math.max(5, String(count).length);
  const rows = Array.from({ length: count }, (_, index) => {
    const i = index + 1;
    return {
      tenant_id: `t${String(i).padStart(width, '0')}`,
      domain: `t${i}.example.com`,
      plan: ['free', 'team', 'enterprise'][i % 3],
      password: `pw-${(i * 7919).toString(36)}-${i}`,
    };
  });
  return renderRows(config, BENCH_FORM, rows, commitTsMs);
}

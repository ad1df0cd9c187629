import type { Provenance } from '../../src/contracts/index.js';
import { canonicalJson, contentHash } from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { NodeUpdate } from '../../src/processor/materializer/index.js';
import { renderNode } from '../../src/processor/render-node.js';
import { BENCH_FORM, BENCH_HUB } from './sink-config.js';

// The benchmark's nodes, rendered by the processor's own renderNode from
// made-up hub rows: the desired records then hold exactly what
// `rowkube process` would have produced for those rows, without a database
// and a processor run in front of the sink.

export interface BenchNode {
  update: NodeUpdate;
  provenance: Provenance;
}

/** `count` nodes, uids t00001…; `commitTsMs` stands for the commit time of every row. */
export function renderBenchNodes(config: RowkubeConfig, count: number, commitTsMs: number): BenchNode[] {
  const form = config.forms.find((f) => f.name === BENCH_FORM);
  const hub = config.hubs.find((h) => h.name === BENCH_HUB);
  if (form === undefined || hub === undefined)
    throw new Error(`the bench configuration has no form '${BENCH_FORM}' on hub '${BENCH_HUB}'`);
  const width = Math.max(5, String(count).length);
  const nodes: BenchNode[] = [];
  for (let i = 1; i <= count; i++) {
    const row = {
      tenant_id: `t${String(i).padStart(width, '0')}`,
      domain: `t${i}.example.com`,
      plan: ['free', 'team', 'enterprise'][i % 3],
      password: `pw-${(i * 7919).toString(36)}-${i}`,
    };
    const result = renderNode({ form, hub, row, lookups: new Map() });
    if (result.kind !== 'node') {
      const why = result.kind === 'error' ? result.error.message : result.reason;
      throw new Error(`rendering bench node ${row.tenant_id} failed: ${why}`);
    }
    nodes.push({
      update: { id: result.id, result, hash: contentHash(result) },
      provenance: {
        source: 'bench',
        table: BENCH_HUB,
        position: JSON.stringify({ file: 'bench-bin.000001', pos: 4 + i * 300 }),
        commitTsMs: BigInt(commitTsMs),
        primaryKey: canonicalJson({ tenant_id: row.tenant_id }),
      },
    });
  }
  return nodes;
}

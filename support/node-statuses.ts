import type { NodeStatus } from '../src/contracts/index.js';

// Node status records for tests of the readers of `<prefix>.status`
// (StatusView, `rowkube status`, wait, the dashboard) that do not need a
// running sink to write them.

/** A Ready status of node `web/<uid>` with one ready Deployment; `overrides` replace fields. */
export function nodeStatus(uid: string, overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    nodeId: `web/${uid}`,
    hub: 'tenants',
    form: 'web',
    state: 'Ready',
    stateSinceMs: 1_700_000_000_000n,
    updatedAtMs: 1_700_000_000_500n,
    objects: [
      {
        resourceId: 'app',
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: `tenant-${uid}`,
        name: `${uid}-app`,
        lastAction: 'created',
        ready: true,
      },
    ],
    source: 'appdb',
    table: 'tenants',
    position: '{"file":"bin.000001","pos":42}',
    commitTsMs: 1_699_999_999_900n,
    contentHash: `hash-${uid}`,
    // As the status topic decodes a record written without one (a sink before form versions).
    formVersion: null,
    error: null,
    ...overrides,
  };
}

import type { NodeStatus } from './node-status.js';

/** How a wait on a node ended (src/status/node-wait.ts). */
export type WaitOutcome =
  | { kind: 'ready'; status: NodeStatus }
  | { kind: 'failed'; status: NodeStatus; reason: string }
  | { kind: 'not-found'; reason: string }
  | { kind: 'timeout'; status: NodeStatus | undefined; reason: string };

// A wait's outcome as JSON, the same for `rowkube wait -o json` and the HTTP
// answer of `/v1/nodes/{id}?position=`: the outcome, its reason and the
// node's status (Avro longs, bigint in memory, become JSON numbers: ms
// timestamps fit in a double).

export interface WaitOutcomeJson {
  node: string;
  outcome: WaitOutcome['kind'];
  /** Why the wait did not succeed; absent when it did. */
  reason?: string;
  status: unknown;
}

export function waitOutcomeJson(nodeId: string, outcome: WaitOutcome): WaitOutcomeJson {
  const status = outcome.kind === 'not-found' ? undefined : outcome.status;
  return {
    node: nodeId,
    outcome: outcome.kind,
    ...(outcome.kind === 'ready' ? {} : { reason: outcome.reason }),
    status: status === undefined ? null : nodeStatusJson(status),
  };
}

/** A status as plain JSON data. */
export function nodeStatusJson(status: NodeStatus): unknown {
  return JSON.parse(
    JSON.stringify(status, (_key, value) => (typeof value === 'bigint' ? Number(value) : value)),
  );
}

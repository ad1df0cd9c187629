// Read-your-writes and the status tables, for the CLI (`rowkube wait`) and
// src/app: the wait on one node (node-wait.ts, node-waiter.ts), the pipeline
// barrier, what `/v1/nodes` answers from (pipeline-nodes.ts, handed to the
// observability server by src/app) and the sync of the status tables. The
// status topic's reader (StatusView) and a node's history (nodeHistory) are
// in src/kafka, wanted positions in src/core/wanted-position.ts: the stages
// read those there, never through this folder (scripts/layer-rules.ts).

export {
  type NodeWaitOptions,
  type StatusFeed,
  statusReaches,
  verdictOf,
  waitForNode,
} from './node-wait.js';
export { type NodeOrigin, NodeWaiter, type NodeWaiterOptions, nodeOrigin } from './node-waiter.js';
export {
  type BarrierOptions,
  type BarrierProgress,
  capturedPast,
  checkBarrier,
  newBarrier,
} from './pipeline-barrier.js';
export { PipelineNodes } from './pipeline-nodes.js';
export { type StatusSource, type StatusTableSyncOptions, syncStatusTable } from './status-table-sync.js';

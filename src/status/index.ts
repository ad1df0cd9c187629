// Reading where nodes stand: every node's status from `<prefix>.status`
// (StatusView, folded and followed) and one node's history from
// `<prefix>.audit` (nodeHistory). The CLI (`rowkube status`, `rowkube wait`)
// and the observability server (`/v1/nodes`, `/ui`) read through here.
// Read-your-writes: positions per database (position.ts), the pipeline
// barrier, and the wait on one node (node-wait.ts, node-waiter.ts).

export { type NodeHistoryOptions, nodeHistory } from './node-history.js';
export {
  type NodeWaitOptions,
  type StatusFeed,
  statusReaches,
  verdictOf,
  type WaitOutcome,
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
export {
  type GtidSet,
  gtidSetContains,
  parseWantedPosition,
  positionReaches,
  type WantedPosition,
} from './position.js';
export { StatusFold, type StatusListener } from './status-fold.js';
export { type StatusSource, type StatusTableSyncOptions, syncStatusTable } from './status-table-sync.js';
export { StatusView, type StatusViewOptions } from './status-view.js';
export { nodeStatusJson, type WaitOutcomeJson, waitOutcomeJson } from './wait-outcome-json.js';

// Node status as readers see it: the followed status topic (StatusView) and
// read-your-writes (`rowkube wait`, `/v1/nodes/{id}?position=`).
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
export { StatusView } from './status-view.js';
export { nodeStatusJson, type WaitOutcomeJson, waitOutcomeJson } from './wait-outcome-json.js';

// Reading where nodes stand: every node's status from `<prefix>.status`
// (StatusView, folded and followed) and one node's history from
// `<prefix>.audit` (nodeHistory). The CLI (`rowkube status`, `rowkube wait`)
// and the observability server (`/v1/nodes`, `/ui`) read through here.

export { type NodeHistoryOptions, nodeHistory } from './node-history.js';
export { StatusFold, type StatusListener } from './status-fold.js';
export { StatusView, type StatusViewOptions } from './status-view.js';

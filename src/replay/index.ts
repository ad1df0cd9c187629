// `rowkube replay`: rebuild a cluster from `<prefix>.desired`, now or as of a time.
export { historyWarning } from './desired-history.js';
export { type NotReadyObject, type ReadyReport, ReadyTally } from './ready-tally.js';
export { type ReplayOptions, type ReplayReport, runReplay } from './replay-runner.js';
export { type DesiredRecord, type ReplaySelection, ReplayState, recordTimeMs } from './replay-selection.js';
export { formatReplaySummary } from './replay-summary.js';
export { FAILURE_ACTIONS, type NodeFailure, ReplayTally } from './replay-tally.js';
export { parseReplayTime } from './replay-time.js';

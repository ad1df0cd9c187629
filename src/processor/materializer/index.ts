// The processor's in-memory core: change records → desired node updates.
export { affectedNodes, type MaterializerConfig } from './affected-nodes.js';
export { type DesiredNode, desiredFor } from './desired-for.js';
export {
  type ApplyOutcome,
  MaterializedState,
  type RowEffect,
  type TableRole,
} from './materialized-state.js';
export {
  absentHash,
  type ExpiredUpdate,
  type FormResolver,
  Materializer,
  type MaterializerOptions,
  type NodeUpdate,
} from './materializer.js';
export {
  type ChangeRecord,
  keyText,
  type NodeRef,
  type TableChange,
  type TombstoneRecord,
} from './table-change.js';

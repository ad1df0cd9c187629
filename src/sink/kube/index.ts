// The sink's access to Kubernetes: the KubeApi port, its real adapter
// KubeClient, objects and references, and the classified errors.
export type {
  AppliedObject,
  ApplyOptions,
  DeleteOptions,
  DeleteOutcome,
  DeletePropagation,
  KubeApi,
  KubeWatchApi,
  ListOptions,
  MergePatch,
  VersionedList,
  WatchOptions,
} from './kube-api.js';
export { canWatch } from './kube-api.js';
export { DEFAULT_LIST_PAGE_SIZE, KubeClient, type KubeClientOptions } from './kube-client.js';
export type { KubeResource } from './kube-discovery.js';
export {
  ApplyConflictError,
  describeImmutable,
  type FieldConflict,
  fieldConflicts,
  type ImmutableField,
  ImmutableFieldError,
  immutableFields,
  KubeApiError,
  type KubeVerb,
} from './kube-errors.js';
export {
  describeRef,
  type KubeObject,
  type KubeObjectMeta,
  type ManagedFieldsEntry,
  type ObjectRef,
  refOf,
} from './kube-object.js';
export { DEFAULT_MAX_SOCKETS, DEFAULT_REQUEST_TIMEOUT_MS } from './kube-transport.js';
export { openKubeClient } from './open-kube-client.js';
export {
  parseWatchLine,
  WatchError,
  type WatchEvent,
  type WatchEventType,
  watchEvents,
} from './watch-stream.js';

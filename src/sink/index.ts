// The sink's facade: what the sink runner and replay drive the cluster with.
// A resource manager by verb (apply, delete, wait), each returning a change set;
// the audit publisher that sends the change sets to `<prefix>.audit`; and the
// Kubernetes port it works through. Other stages import the sink from here
// only; the files behind it are the sink's own.
export { isFinal } from './apply/apply-resource.js';
export { AuditPublisher } from './audit/audit-publisher.js';
export type { ChangeSet } from './change-set.js';
export type { KubeApi } from './kube/index.js';
// For src/cluster (Leases): the client with create and optimistic update, and how it is opened.
export {
  type KubeClient,
  type KubeClientOptions,
  type KubeObject,
  type ObjectRef,
  openKubeClient,
} from './kube/index.js';
export { ResourceManager, type ResourceManagerOptions } from './resource-manager.js';

import type { PrepareContext } from '../sink/apply/prepared-resource.js';
import type { LiveObjects } from './live-objects.js';

// What planning a node needs, shared by every node: the sink's own ways of
// preparing objects (owner marks, target namespace, the namespace guard) and
// of reaching the cluster (the request limiter), and its field manager.

export interface PlanContext extends PrepareContext {
  /** The sink's field manager: the dry run applies as the sink would. */
  fieldManager: string;
  /** Where the live objects are read: the owned ones listed once, others with a GET. */
  live: LiveObjects;
}

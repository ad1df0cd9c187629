import type { AuditEvent, DesiredValue } from '../contracts/index.js';
import { describeFailure } from './replay-tally.js';

// What `replay --wait` found, counted as it goes: the progress line every few
// seconds and the summary's wait lines are read from here. The resource
// manager's wait reports only the objects that are not ready, so an object of
// the node without an event is counted ready.

export interface NotReadyObject {
  nodeId: string;
  /** The object (or resource id) first, then why: `Deployment/ns/web: timed_out (CODE) …`. */
  reason: string;
}

export interface ReadyReport {
  /** The whole wait's timeout (--wait-timeout), ms. */
  timeoutMs: number;
  nodes: number;
  readyObjects: number;
  notReady: NotReadyObject[];
  /** Stopped (SIGINT/SIGTERM) before every node was looked at. */
  stopped: boolean;
  durationMs: number;
}

export class ReadyTally {
  readonly notReady: NotReadyObject[] = [];
  nodesDone = 0;
  readyObjects = 0;

  constructor(readonly nodesTotal: number) {}

  /**
   * One node waited for: the events of its wait (one per object not ready)
   * and, when its readiness could not be learnt (the API server out of reach,
   * the wait stopped), why; its objects without an event then count as not
   * ready too.
   */
  nodeDone(node: DesiredValue, events: readonly AuditEvent[], failure?: string): void {
    this.nodesDone += 1;
    for (const event of events) this.notReady.push({ nodeId: node.id, reason: describeFailure(event) });
    const named = new Set(events.map((event) => event.resourceId));
    // An event about the whole node leaves none of its objects known to be ready.
    const unknown = failure !== undefined || named.has(null);
    for (const resource of node.resources) {
      if (named.has(resource.id)) continue;
      if (!unknown) this.readyObjects += 1;
      else if (failure !== undefined)
        this.notReady.push({ nodeId: node.id, reason: `${resource.id}: ${failure}` });
    }
  }

  progressLine(elapsedMs: number): string {
    return (
      `replay --wait: ${this.nodesDone}/${this.nodesTotal} nodes, ${this.readyObjects} objects ready, ` +
      `${this.notReady.length} not ready, ${(elapsedMs / 1_000).toFixed(1)} s`
    );
  }
}

import type { NodeStatus } from '../contracts/index.js';

// The last status of every node, as records of `<prefix>.status` are offered
// in offset order, and the listeners told of each change. Plain data, no
// Kafka: StatusView feeds it from the topic.

/** Called with a node whose status changed: its new status, or undefined when a tombstone removed it. */
export type StatusListener = (nodeId: string, status: NodeStatus | undefined) => void;

export class StatusFold {
  private readonly nodes = new Map<string, NodeStatus>();
  private readonly listeners = new Set<StatusListener>();

  constructor(private readonly onListenerError: (error: unknown, nodeId: string) => void = () => undefined) {}

  /** One record: a status, or null for a tombstone. A tombstone of an unknown node changes nothing. */
  offer(nodeId: string, status: NodeStatus | null): void {
    if (status === null) {
      if (!this.nodes.delete(nodeId)) return;
      this.emit(nodeId, undefined);
    } else {
      this.nodes.set(nodeId, status);
      this.emit(nodeId, status);
    }
  }

  /** Every node with a status, sorted by node id. */
  list(): NodeStatus[] {
    return [...this.nodes.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  get(nodeId: string): NodeStatus | undefined {
    return this.nodes.get(nodeId);
  }

  get size(): number {
    return this.nodes.size;
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  unsubscribeAll(): void {
    this.listeners.clear();
  }

  private emit(nodeId: string, status: NodeStatus | undefined): void {
    for (const listener of this.listeners) {
      try {
        listener(nodeId, status);
      } catch (error) {
        this.onListenerError(error, nodeId);
      }
    }
  }
}

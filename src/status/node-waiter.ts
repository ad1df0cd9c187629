import type { Logger } from 'pino';
import { inputTopics, type WaitOutcome } from '../contracts/index.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { parseWantedPosition } from '../core/wanted-position.js';
import { type Kafka, KafkaAdmin, StatusView, type WireFormat } from '../kafka/index.js';
import { type NodeWaitOptions, waitForNode } from './node-wait.js';
import { checkBarrier, newBarrier } from './pipeline-barrier.js';

// Read-your-writes for one pipeline: binds node-wait.ts to a configuration,
// a followed status topic and the Kafka admin the barrier reads. One per
// process (`rowkube wait`, the observability server); each wait() is one
// application asking about one node.

export interface NodeWaiterOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  /** The followed `<prefix>.status` (shared with whatever else reads it in the process). */
  view: StatusView;
  wire?: WireFormat;
  logger?: Logger;
  /** Between two barrier checks (default 250 ms). */
  pollMs?: number;
}

/** Where a node's changes come from: its hub's source and the hub table's change topic. */
export interface NodeOrigin {
  source: string;
  hubTopic: string;
}

/** The node's form names its hub (node id `<form>/<uid>`); throws ROWKUBE_ERR_CONFIG for an unknown form. */
export function nodeOrigin(config: RowkubeConfig, nodeId: string): NodeOrigin {
  const slash = nodeId.indexOf('/');
  const formName = slash > 0 ? nodeId.slice(0, slash) : '';
  const form = config.forms.find((f) => f.name === formName);
  if (slash <= 0 || slash === nodeId.length - 1 || form === undefined) {
    const forms = config.forms.map((f) => f.name).join(', ') || 'none';
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `node '${nodeId}': a node id is <form>/<uid> with a configured form (forms: ${forms})`,
    );
  }
  const hub = config.hubs.find((h) => h.name === form.hub);
  const input = hub && inputTopics(config.kafka.topicPrefix, [hub]).find((topic) => topic.hub);
  if (hub === undefined || input === undefined) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `node '${nodeId}': form '${formName}' names hub '${form.hub}', which is not configured`,
    );
  }
  return { source: hub.source, hubTopic: input.topic };
}

export class NodeWaiter {
  private readonly admin: KafkaAdmin;

  constructor(private readonly options: NodeWaiterOptions) {
    this.admin = KafkaAdmin.lazy(options.kafka);
  }

  /**
   * Waits until the node reflects `position` (see node-wait.ts). Throws
   * ROWKUBE_ERR_POSITION for a position that is malformed or does not fit the
   * node's source, ROWKUBE_ERR_CONFIG for a node of no configured form.
   */
  async wait(
    nodeId: string,
    position: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WaitOutcome> {
    const { config, kafka, view, logger } = this.options;
    const wanted = parseWantedPosition(position);
    const origin = nodeOrigin(config, nodeId);
    const progress = newBarrier();
    const prefix = config.kafka.topicPrefix;
    const options: NodeWaitOptions = {
      nodeId,
      wanted,
      timeoutMs,
      feed: view,
      barrier: async (stop) => {
        await this.admin.connect();
        return checkBarrier({ kafka, admin: this.admin, prefix, ...origin, wanted, signal: stop }, progress);
      },
      readCurrent: () => this.readCurrent(nodeId),
      onBarrierError: (error) =>
        logger?.debug({ err: error, node: nodeId }, 'read-your-writes: barrier check failed; trying again'),
      ...(this.options.pollMs === undefined ? {} : { pollMs: this.options.pollMs }),
      ...(signal ? { signal } : {}),
    };
    return waitForNode(options);
  }

  async close(): Promise<void> {
    await this.admin.close();
  }

  /** The node's status as the status topic holds it now: a fresh fold, not the follower that may be a fetch behind. */
  private async readCurrent(nodeId: string): Promise<ReturnType<StatusView['get']>> {
    const { kafka, config, wire, logger } = this.options;
    const view = await StatusView.open({
      kafka,
      prefix: config.kafka.topicPrefix,
      ...(wire ? { wire } : {}),
      ...(logger ? { logger } : {}),
      waitForTopic: true,
    });
    try {
      await view.ready();
      return view.get(nodeId);
    } finally {
      await view.close();
    }
  }
}

import type { Logger } from 'pino';
import type { NodeStatus, WaitOutcome } from '../contracts/index.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { createKafka, registryClientFor, StatusView, wireFormatFor } from '../kafka/index.js';
import { NodeWaiter } from './node-waiter.js';

// What `/v1/nodes` of the observability server reads: statuses from the
// status topic and read-your-writes waits (NodeWaiter). It implements the
// server's NodesApi port structurally; src/app hands it to the server.

/**
 * The pipeline's nodes, opened on the first request: a process nobody asks
 * about nodes follows no status topic.
 */
export class PipelineNodes {
  private opening: Promise<{ view: StatusView; waiter: NodeWaiter }> | undefined;
  private closeRegistry: (() => void) | undefined;

  constructor(
    private readonly config: RowkubeConfig,
    private readonly logger: Logger,
  ) {}

  async status(nodeId: string): Promise<NodeStatus | undefined> {
    const { view } = await this.open();
    return view.get(nodeId);
  }

  async wait(nodeId: string, position: string, timeoutMs: number, signal: AbortSignal): Promise<WaitOutcome> {
    const { waiter } = await this.open();
    return waiter.wait(nodeId, position, timeoutMs, signal);
  }

  async close(): Promise<void> {
    const opened = await this.opening?.catch(() => undefined);
    await opened?.waiter.close();
    await opened?.view.close();
    this.closeRegistry?.();
  }

  private open(): Promise<{ view: StatusView; waiter: NodeWaiter }> {
    this.opening ??= (async () => {
      const { config, logger } = this;
      const kafka = createKafka({ ...config.kafka, logger });
      const registry = registryClientFor(config.schemaRegistry);
      this.closeRegistry = () => registry?.close();
      const wire = wireFormatFor(config.kafka.topicPrefix, registry);
      const view = await StatusView.open({
        kafka,
        prefix: config.kafka.topicPrefix,
        wire,
        logger,
        waitForTopic: true,
      });
      await view.ready();
      return { view, waiter: new NodeWaiter({ config, kafka, view, wire, logger }) };
    })();
    // A failed open (broker away) is tried again by the next request.
    this.opening.catch(() => {
      this.opening = undefined;
    });
    return this.opening;
  }
}

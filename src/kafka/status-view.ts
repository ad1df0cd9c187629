import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { type NodeStatus, statusTopic } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { decodeNative } from './record-decoder.js';
import type { SchemaRegistryClient } from './registry/registry-client.js';
import { SchemaRegistry } from './schema-registry.js';
import { StatusFold, type StatusListener } from './status-fold.js';
import { toNodeStatus } from './status-message.js';
import { readTopic } from './topic-reader.js';
import type { WireFormat } from './wire-format.js';

// Every node's status, as `<prefix>.status` holds it: the compacted topic is
// read from its beginning (the state as of the open), then followed, so a
// reader (`rowkube status --watch`, `rowkube wait`, `/v1/nodes`, `/ui`) sees
// each change the sink writes. Only the last record of a key counts; a
// tombstone removes the node.

export interface StatusViewOptions {
  kafka: Kafka;
  prefix: string;
  /**
   * The pipeline's wire format: with a schema registry (`schemaRegistry`),
   * records in the Confluent wire format are decoded through its client. Or
   * pass `registry` directly.
   */
  wire?: WireFormat;
  registry?: SchemaRegistryClient;
  logger?: Logger;
  /** Stops following when aborted (as close()). */
  signal?: AbortSignal;
  /**
   * When the topic does not exist yet: wait for it (true: a server started
   * before the sink created it; ready() resolves at once, empty), or reject
   * open() with an error that asks whether the sink runs (false, default).
   */
  waitForTopic?: boolean;
  /** Pause before reading again after the broker failed the read (default 2 s). */
  retryMs?: number;
}

/** Holds the status of every node and follows the topic until closed. */
export class StatusView {
  private readonly fold: StatusFold;
  private readonly stop = new AbortController();
  private readonly caughtUp: Promise<void>;
  private markCaughtUp: () => void = () => undefined;
  private failCaughtUp: (error: unknown) => void = () => undefined;
  private isCaughtUp = false;
  private following: Promise<void> = Promise.resolve();
  readonly topic: string;

  private constructor(private readonly options: StatusViewOptions) {
    this.topic = statusTopic(options.prefix);
    this.fold = new StatusFold((error, nodeId) =>
      options.logger?.warn({ err: error, nodeId }, 'a status listener failed'),
    );
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.markCaughtUp = () => {
        this.isCaughtUp = true;
        resolve();
      };
      this.failCaughtUp = reject;
    });
    // ready() may never be awaited (a reader that only subscribes).
    this.caughtUp.catch(() => undefined);
    options.signal?.addEventListener('abort', () => this.stop.abort(), { once: true });
  }

  /**
   * Starts reading. Rejects when the topic does not exist (unless
   * waitForTopic) or the schemas cannot be read; ready() says when the
   * initial read reached the end.
   */
  static async open(options: StatusViewOptions): Promise<StatusView> {
    const view = new StatusView(options);
    const registry = await SchemaRegistry.open({
      kafka: options.kafka,
      prefix: options.prefix,
      registry: options.registry ?? registryClientOf(options.wire),
    });
    const exists = await view.topicExists();
    if (!exists && options.waitForTopic !== true) {
      throw new RowkubeError(
        ErrorCode.KAFKA,
        `the status topic '${view.topic}' does not exist: is the sink running with kafka.topicPrefix '${options.prefix}'? ` +
          'The sink creates it when it starts.',
      );
    }
    if (!exists) view.markCaughtUp();
    view.following = view.follow(registry);
    return view;
  }

  /** Resolves once every record the topic held at open() has been read; rejects if reading it failed. */
  ready(): Promise<void> {
    return this.caughtUp;
  }

  /** Every node with a status, sorted by node id. */
  list(): NodeStatus[] {
    return this.fold.list();
  }

  get(nodeId: string): NodeStatus | undefined {
    return this.fold.get(nodeId);
  }

  /** Calls `listener` on each change from now on; returns the unsubscribe function. */
  subscribe(listener: StatusListener): () => void {
    return this.fold.subscribe(listener);
  }

  /** Stops following; resolves once the reader has left. */
  async close(): Promise<void> {
    this.stop.abort();
    this.fold.unsubscribeAll();
    await this.following.catch(() => undefined);
  }

  private async topicExists(): Promise<boolean> {
    let exists = false;
    // Read nothing: a missing topic (allowMissing) returns without onEnds, an existing one right after it.
    await readTopic({
      kafka: this.options.kafka,
      topic: this.topic,
      fromBeginning: false,
      follow: false,
      allowMissing: true,
      onEnds: () => {
        exists = true;
      },
      onRecord: () => false,
    });
    return exists;
  }

  /** Reads from the beginning and follows; after a failure, reads again (the fold is idempotent). */
  private async follow(registry: SchemaRegistry): Promise<void> {
    const { signal } = this.stop;
    const retryMs = this.options.retryMs ?? 2_000;
    while (!signal.aborted) {
      if (!(await this.topicExists().catch(() => false))) {
        await abortableSleep(retryMs, signal);
        continue;
      }
      try {
        await readTopic({
          kafka: this.options.kafka,
          topic: this.topic,
          fromBeginning: true,
          follow: true,
          isolation: 'read_committed',
          signal,
          onCaughtUp: () => {
            if (!this.isCaughtUp) this.markCaughtUp();
          },
          onRecord: async (record) => {
            const { key, value } = await decodeNative(record, registry);
            this.fold.offer(String(key), value === null ? null : toNodeStatus(value));
          },
        });
      } catch (error) {
        if (signal.aborted) return;
        if (!this.isCaughtUp) {
          this.failCaughtUp(error);
          return;
        }
        this.options.logger?.warn(
          { err: error, topic: this.topic },
          `reading the status topic failed; reading it again in ${retryMs} ms`,
        );
        await abortableSleep(retryMs, signal);
      }
    }
  }
}

/** The registry client of a registry wire format; undefined for embedded. */
function registryClientOf(wire: WireFormat | undefined): SchemaRegistryClient | undefined {
  if (wire === undefined || wire.kind !== 'registry') return undefined;
  return (wire as WireFormat & { client?: SchemaRegistryClient }).client;
}

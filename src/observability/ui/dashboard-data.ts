import type { Logger } from 'pino';
import type { DecodedAuditEvent } from '../../contracts/index.js';
import { type Kafka, nodeHistory, type SchemaRegistryClient, StatusView } from '../../kafka/index.js';
import type { LatencyMinute, LatencyPerMinute } from './latency-per-minute.js';
import type { DashboardData, StatusReading } from './ui-routes.js';

// The dashboard's data from Kafka: `<prefix>.status` through a StatusView,
// opened on the first request rather than at start, so a process whose
// dashboard nobody opens reads nothing (an idle pipeline stays idle); once
// open, it follows the topic until the process stops. A node's history is
// read from `<prefix>.audit` when its page asks.

export interface KafkaDashboardDataOptions {
  kafka: Kafka;
  prefix: string;
  /** The schema registry client when the pipeline uses `schemaRegistry`. */
  registry?: SchemaRegistryClient;
  /** Fed with this process's sink writes; absent when the process runs no sink. */
  latency?: LatencyPerMinute;
  logger: Logger;
}

/** How many of a node's latest audit events its page shows. */
const HISTORY_LIMIT = 200;
/** How long a node's history read is kept while its status does not change. */
const HISTORY_KEEP_MS = 30_000;
/** Histories kept at most (the nodes whose pages were opened last). */
const HISTORIES_KEPT = 50;
/** After opening the status topic failed, the next request tries again once this has passed. */
const RETRY_MS = 5_000;

export class KafkaDashboardData implements DashboardData {
  readonly prefix: string;
  readonly latencyFed: boolean;
  private view: StatusView | undefined;
  private opening: Promise<void> | undefined;
  private ready = false;
  private problem: string | undefined;
  private failedAtMs = 0;
  private closed = false;
  private readonly histories = new Map<
    string,
    { marker: string; atMs: number; events: Promise<readonly DecodedAuditEvent[]> }
  >();

  constructor(private readonly options: KafkaDashboardDataOptions) {
    this.prefix = options.prefix;
    this.latencyFed = options.latency !== undefined;
  }

  status(): StatusReading {
    this.open();
    const reading: StatusReading = { ready: this.ready, nodes: this.view?.list() ?? [] };
    if (this.problem !== undefined) reading.problem = this.problem;
    return reading;
  }

  /**
   * Reading a node's history reads its audit partition, and the page asks
   * again every few seconds: a read is kept while the node's status has not
   * changed and it is younger than HISTORY_KEEP_MS, and concurrent asks share one.
   */
  history(nodeId: string): Promise<readonly DecodedAuditEvent[]> {
    const marker = String(this.view?.get(nodeId)?.updatedAtMs ?? '');
    const now = Date.now();
    const kept = this.histories.get(nodeId);
    if (kept !== undefined && kept.marker === marker && now - kept.atMs < HISTORY_KEEP_MS) return kept.events;
    const { kafka, prefix, registry } = this.options;
    const events = nodeHistory({
      kafka,
      prefix,
      nodeId,
      limit: HISTORY_LIMIT,
      ...(registry === undefined ? {} : { registry }),
    });
    this.histories.delete(nodeId);
    this.histories.set(nodeId, { marker, atMs: now, events });
    // A failed read is not kept; the oldest entry goes when too many are.
    events.catch(() => this.histories.delete(nodeId));
    if (this.histories.size > HISTORIES_KEPT)
      this.histories.delete(this.histories.keys().next().value as string);
    return events;
  }

  latency(nowMs: number): LatencyMinute[] {
    return this.options.latency?.chart(nowMs) ?? [];
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    await this.view?.close();
  }

  private open(): void {
    if (this.opening !== undefined || this.closed) return;
    if (this.problem !== undefined && Date.now() - this.failedAtMs < RETRY_MS) return;
    const { kafka, prefix, registry, logger } = this.options;
    this.opening = (async () => {
      try {
        // The sink creates the topic when it starts: a dashboard opened before that shows no nodes yet.
        const view = await StatusView.open({
          kafka,
          prefix,
          logger,
          waitForTopic: true,
          ...(registry === undefined ? {} : { registry }),
        });
        if (this.closed) {
          await view.close();
          return;
        }
        this.view = view;
        await view.ready();
        this.ready = true;
        this.problem = undefined;
      } catch (error) {
        this.problem = `reading ${prefix}.status failed: ${(error as Error).message}`;
        this.failedAtMs = Date.now();
        logger.warn({ err: error }, 'the dashboard cannot read the status topic');
        await this.view?.close();
        this.view = undefined;
        this.opening = undefined;
      }
    })();
  }
}

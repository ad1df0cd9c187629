import { type LatencySummary, summarize } from '../../support/percentiles.js';
import type { RowTrace } from './counting-sink.js';

// Splits capture's COMMIT→consumer latency into where the time went, per row:
//   toConnector  COMMIT returned to the writer → the connector appended the change
//                (binlog / WAL delivery, driver decoding, the connector's queue)
//   inConnector  append → the connector called commit() (the rest of the source transaction)
//   kafkaCommit  commit() called → resolved (the sink's linger, its queue, the Kafka transaction)
//   toConsumer   commit resolved → the read_committed consumer received the change
// Stages are nearest-rank percentiles of their own: they do not add up to the total's.

export interface LatencyStages {
  toConnectorMs: LatencySummary;
  inConnectorMs: LatencySummary;
  kafkaCommitMs: LatencySummary;
  toConsumerMs: LatencySummary;
}

export function latencyStages(
  sentAt: ReadonlyMap<number, number>,
  receivedAt: ReadonlyMap<number, number>,
  traces: ReadonlyMap<number, RowTrace>,
): LatencyStages {
  const toConnector: number[] = [];
  const inConnector: number[] = [];
  const kafkaCommit: number[] = [];
  const toConsumer: number[] = [];
  for (const [id, sent] of sentAt) {
    const trace = traces.get(id);
    const received = receivedAt.get(id);
    if (trace === undefined) continue;
    toConnector.push(trace.appendAt - sent);
    if (trace.commitAt !== undefined) inConnector.push(trace.commitAt - trace.appendAt);
    if (trace.commitAt !== undefined && trace.committedAt !== undefined)
      kafkaCommit.push(trace.committedAt - trace.commitAt);
    if (trace.committedAt !== undefined && received !== undefined)
      toConsumer.push(received - trace.committedAt);
  }
  return {
    toConnectorMs: summarize(toConnector),
    inConnectorMs: summarize(inConnector),
    kafkaCommitMs: summarize(kafkaCommit),
    toConsumerMs: summarize(toConsumer),
  };
}

import type { Kafka } from 'kafkajs';
import { changeTopic } from '../contracts/index.js';
import type { Row, TableSchema } from '../core/change-event.js';
import { rowKeyText } from '../core/snapshot-progress.js';
import type { CapturedRows } from '../core/source-connector.js';
import type { ChangeEnvelope } from './record-decoder.js';
import { decodeNative } from './record-decoder.js';
import type { SchemaRegistryClient } from './registry/registry-client.js';
import { SchemaRegistry } from './schema-registry.js';
import { readTopic } from './topic-reader.js';

// What a re-snapshot replaces: the rows the change topics of a source hold.
// A table's topic is read from earliest to its end, read_committed; the last
// record of each key decides: a row (op c/u/r, its `after`) is live, a delete
// or tombstone is gone. Only keys whose last record was written before the
// re-snapshot began count: a record written since is the re-snapshot's own
// (capture is stopped while it is requested, and the stream starts after it).

export interface KafkaCapturedRowsOptions {
  kafka: Kafka;
  prefix: string;
  /** For change topics in the Confluent wire format (`schemaRegistry`). */
  registry?: SchemaRegistryClient | undefined;
}

export class KafkaCapturedRows implements CapturedRows {
  private registry: Promise<SchemaRegistry> | undefined;

  constructor(private readonly options: KafkaCapturedRowsOptions) {}

  async liveRowsBefore(table: TableSchema, beforeMs: number, signal: AbortSignal): Promise<Map<string, Row>> {
    const { kafka, prefix, registry: client } = this.options;
    this.registry ??= SchemaRegistry.open({ kafka, prefix, registry: client });
    const registry = await this.registry;
    /** Key bytes (hex) → the key's last row and when it was written; null once deleted. */
    const latest = new Map<string, { row: Row | null; timestampMs: number }>();
    await readTopic({
      kafka,
      topic: changeTopic(prefix, table),
      fromBeginning: true,
      follow: false,
      isolation: 'read_committed',
      allowMissing: true,
      signal,
      onRecord: async (record) => {
        if (record.key === null) return;
        const timestampMs = Number(record.timestamp);
        const id = record.key.toString('hex');
        if (record.value === null) {
          latest.set(id, { row: null, timestampMs });
          return;
        }
        const { value } = await decodeNative(record, registry);
        const envelope = value as ChangeEnvelope;
        latest.set(id, { row: envelope.op === 'd' ? null : envelope.after, timestampMs });
      },
    });
    const rows = new Map<string, Row>();
    for (const { row, timestampMs } of latest.values()) {
      if (row !== null && timestampMs < beforeMs) rows.set(rowKeyText(table, row), row);
    }
    return rows;
  }
}

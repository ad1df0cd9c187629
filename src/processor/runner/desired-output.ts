import type { Provenance } from '../../contracts/index.js';
import type { FormConfig } from '../../core/config/form-schema.js';
import type {
  ConsumedOffsets,
  RegisteredSchema,
  SchemaPublisher,
  TopicOutgoingRecord,
  TransactionalOutput,
} from '../../kafka/index.js';
import { encodeDesired } from '../desired/desired-message.js';
import type { NodeUpdate } from '../materializer/index.js';

// Writes desired records in one Kafka transaction, with the consumer offsets
// they complete when they come from the hub consumer: a crash either keeps
// both or neither, so no change is lost or produced twice.

export interface ProducedUpdate {
  update: NodeUpdate;
  provenance: Provenance;
}

export class DesiredOutput {
  constructor(
    private readonly output: TransactionalOutput,
    private readonly publisher: SchemaPublisher,
    private readonly topic: string,
    private readonly forms: readonly Pick<FormConfig, 'name' | 'hub'>[],
  ) {}

  /**
   * Commits the records (and offsets), with `extra` records of other topics
   * (the guard's control and audit records) in the same transaction. Nothing
   * to write and no offsets: no transaction. Returns how many desired records.
   */
  async commit(
    produced: readonly ProducedUpdate[],
    offsets?: ConsumedOffsets,
    extra?: { records: readonly TopicOutgoingRecord[]; schemas: readonly RegisteredSchema[] },
  ): Promise<number> {
    if (produced.length === 0 && offsets === undefined && (extra?.records.length ?? 0) === 0) return 0;
    const records: TopicOutgoingRecord[] = [];
    for (const record of this.publisher.recordsFor(extra?.schemas ?? []))
      records.push({ topic: this.publisher.topic, key: record.key, value: record.value });
    for (const { update, provenance } of produced) {
      const encoded = encodeDesired(this.topic, update, this.forms, provenance);
      for (const record of this.publisher.recordsFor(encoded.schemas))
        records.push({ topic: this.publisher.topic, key: record.key, value: record.value });
      records.push(encoded.message);
    }
    records.push(...(extra?.records ?? []));
    // A failure leaves the state moved on and schemas possibly unpublished: the caller starts over.
    const where = offsets === undefined ? this.topic : `${offsets.topic}[${offsets.partition}]`;
    await this.output.commit(records, offsets, `committing the desired records of ${where}`);
    return produced.length;
  }
}

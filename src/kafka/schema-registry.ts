import type { Kafka } from 'kafkajs';
import { schemasTopic } from '../contracts/index.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import type { SchemaRegistryClient } from './registry/registry-client.js';
import { SchemaCodec } from './schema-codec.js';
import { type RegisteredSchema, schemaIdOfText } from './schema-id.js';
import { readTopic } from './topic-reader.js';

// The schema registry is a compacted topic, `<prefix>._schemas`: key = schema
// id, value = the schema's canonical JSON text. Writers publish a schema
// before (or in the same Kafka transaction as) the first message that names
// it, so a consumer decodes with nothing but the brokers.

/** A record for the schema topic. */
export interface SchemaRecord {
  key: string;
  value: string;
}

/**
 * Decides which schemas a writer still has to publish. Each id is published
 * once per publisher; the records it returns must go out in the same Kafka
 * transaction as the messages that use them, or in an earlier one. A
 * transaction that fails leaves its schemas unpublished, so a writer whose
 * transaction failed discards its publisher with it (KafkaChangeSink does).
 */
export class SchemaPublisher {
  private readonly sent = new Set<string>();

  constructor(readonly topic: string) {}

  /** Records for the schemas not sent yet, in the order given; marks them sent. */
  recordsFor(schemas: Iterable<RegisteredSchema>): SchemaRecord[] {
    const records: SchemaRecord[] = [];
    for (const { id, text } of schemas) {
      if (this.sent.has(id)) continue;
      this.sent.add(id);
      records.push({ key: id, value: text });
    }
    return records;
  }
}

/** What a decoder needs from a registry: a codec for a schema id. */
export interface SchemaResolver {
  /** The codec of a rowkube schema id (a header's fingerprint, text in `<prefix>._schemas`). */
  resolve(id: string): Promise<SchemaCodec>;
  /**
   * The codec of a schema registry id (a record in the Confluent wire
   * format). Absent: the reader has no registry, and such a record is an
   * error that says to configure one.
   */
  resolveRegistered?(id: number): Promise<SchemaCodec>;
}

export interface SchemaRegistryOptions {
  kafka: Kafka;
  prefix: string;
  /**
   * How long resolve() keeps re-reading the topic for an unknown id (default
   * 15 s). A Kafka commit reaches each partition's log a little apart, so a
   * consumer can see a change message a moment before its schema record is
   * readable; after that the id is really missing.
   */
  resolveTimeoutMs?: number;
  /** The Confluent-compatible registry (`schemaRegistry`), for records in the Confluent wire format. */
  registry?: SchemaRegistryClient | undefined;
}

/** Reads schemas from `<prefix>._schemas` (read_committed) and resolves ids to codecs. */
export class SchemaRegistry implements SchemaResolver {
  private readonly texts = new Map<string, string>();
  private readonly codecs = new Map<string, SchemaCodec>();
  private readonly registered = new Map<number, Promise<SchemaCodec>>();
  private refreshing: Promise<void> | undefined;
  readonly topic: string;

  private constructor(private readonly options: SchemaRegistryOptions) {
    this.topic = schemasTopic(options.prefix);
  }

  /** A registry that has read every schema published so far. */
  static async open(options: SchemaRegistryOptions): Promise<SchemaRegistry> {
    const registry = new SchemaRegistry(options);
    await registry.refresh();
    return registry;
  }

  /** Ids known so far. */
  ids(): string[] {
    return [...this.texts.keys()];
  }

  /** The schema text of an id already read, or undefined. */
  text(id: string): string | undefined {
    return this.texts.get(id);
  }

  async resolve(id: string): Promise<SchemaCodec> {
    const deadline = Date.now() + (this.options.resolveTimeoutMs ?? 15_000);
    let pause = 100;
    for (;;) {
      const codec = this.codec(id);
      if (codec !== undefined) return codec;
      // A schema published after the last read: read the topic again.
      await this.refresh();
      const found = this.codec(id);
      if (found !== undefined) return found;
      if (Date.now() + pause > deadline) {
        throw new RowkubeError(
          ErrorCode.SCHEMA_NOT_FOUND,
          `schema ${id} is not in topic '${this.topic}' (${this.texts.size} schemas there); ` +
            'was the topic deleted, or is the consumer using a different topic prefix than the writer?',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 1_000);
    }
  }

  /**
   * The codec of a schema registry id. Both formats can meet in one topic
   * (a pipeline switched to the registry keeps its older records), so every
   * reader has this; without a configured registry it says which setting is
   * missing.
   */
  resolveRegistered(id: number): Promise<SchemaCodec> {
    const { registry } = this.options;
    if (registry === undefined) {
      return Promise.reject(
        new RowkubeError(
          ErrorCode.CONFIG,
          `a record is in the Confluent wire format (schema registry id ${id}), but no schema registry is configured: ` +
            'give a config whose schemaRegistry.url is the registry the writer used (rowkube tail: --config FILE or --registry URL)',
        ),
      );
    }
    let codec = this.registered.get(id);
    if (codec === undefined) {
      codec = registry.schemaText(id).then((text) => SchemaCodec.fromText(text));
      codec.catch(() => this.registered.delete(id));
      this.registered.set(id, codec);
    }
    return codec;
  }

  /** Reads the schema topic from earliest to its current end; concurrent callers share one read. */
  refresh(): Promise<void> {
    this.refreshing ??= this.readAll().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readAll(): Promise<void> {
    await readTopic({
      kafka: this.options.kafka,
      topic: this.topic,
      fromBeginning: true,
      follow: false,
      allowMissing: true,
      onRecord: ({ key, value }) => {
        if (key === null || value === null) return;
        const id = key.toString('utf8');
        const text = value.toString('utf8');
        // The id is the text's fingerprint: a record that does not match was
        // not written by rowkube's publisher and cannot be trusted to decode.
        if (schemaIdOfText(text) === id) this.texts.set(id, text);
      },
    });
  }

  private codec(id: string): SchemaCodec | undefined {
    let codec = this.codecs.get(id);
    if (codec !== undefined) return codec;
    const text = this.texts.get(id);
    if (text === undefined) return undefined;
    codec = SchemaCodec.fromText(text);
    this.codecs.set(id, codec);
    return codec;
  }
}

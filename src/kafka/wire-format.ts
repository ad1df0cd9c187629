import { schemasTopic } from '../contracts/index.js';
import type { SchemaRegistryConfig } from '../core/config/schema-registry-schema.js';
import { frame } from './registry/confluent-frame.js';
import { SchemaRegistryClient } from './registry/registry-client.js';
import { type SubjectPart, subjectName } from './registry/subject-name.js';
import { KEY_SCHEMA_HEADER, type RegisteredSchema, VALUE_SCHEMA_HEADER } from './schema-id.js';
import { TRUNCATE_KEY_SCHEMA } from './truncate-key.js';

// How Avro records leave rowkube. Every writer (capture, processor, sink and
// replay audit) builds its records the one way: Avro bodies whose writer
// schemas are named by fingerprint in the rowkube.key/value.schema headers,
// and `<prefix>._schemas` records carrying those schemas' texts. The wire
// format, chosen once from the configuration, turns them into what goes to
// Kafka:
// - embedded (the default): as built; readers find the schemas in `_schemas`;
// - registry (`schemaRegistry` set): each schema registered under its topic's
//   subject, each body framed with the registry id (Confluent wire format),
//   the rowkube schema headers and the `_schemas` records dropped.
// So no writer has registry code of its own; each calls toWire (or prepare
// and encode, where sending must stay synchronous) at the one place where its
// records become Kafka messages.

/** The part of a record the wire format touches; other fields pass through. */
export interface WireRecord {
  topic: string;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { [name: string]: unknown };
}

/** A schema a topic's records use, and which part of them it describes. */
export interface TopicSchema {
  part: SubjectPart;
  schema: RegisteredSchema;
}

export interface WireFormat {
  /** 'embedded': `_schemas` topic and headers; 'registry': Confluent wire format. */
  readonly kind: 'embedded' | 'registry';
  /**
   * Makes the schemas of `topic` known to the format before records using
   * them are encoded. Undefined when there is nothing to wait for (always for
   * embedded; for registry when all were registered before). Rejects with
   * ROWKUBE_ERR_SCHEMA_REFUSED when the registry refuses one (`about` names
   * what it is for in the message), with a retriable
   * ROWKUBE_ERR_SCHEMA_REGISTRY when the registry is away.
   */
  prepare(topic: string, schemas: readonly TopicSchema[], about?: string): Promise<void> | undefined;
  /**
   * Synchronously, the records as they go to Kafka. Every schema they name
   * must have been prepared, or come with them as a `_schemas` record and
   * have been prepared by toWire: a schema unknown here is a bug (Error).
   */
  encode<R extends WireRecord>(records: readonly R[]): R[];
  /** prepare (from the records' own headers and `_schemas` records) and encode, for writers that can wait. */
  toWire<R extends WireRecord>(records: readonly R[]): Promise<R[]>;
  close(): void;
}

/**
 * The wire format the configuration asks for: registry when a client of
 * `schemaRegistry` is given (registryClientFor), embedded otherwise.
 */
export function wireFormatFor(prefix: string, registry: SchemaRegistryClient | undefined): WireFormat {
  if (registry === undefined) return EMBEDDED_WIRE_FORMAT;
  return new RegistryWireFormat(registry, prefix);
}

/** A client of `schemaRegistry`, or undefined when it is not set; close() it when done. */
export function registryClientFor(
  config: SchemaRegistryConfig | undefined,
): SchemaRegistryClient | undefined {
  return config === undefined ? undefined : new SchemaRegistryClient(config);
}

/** Records go out as built; the schemas travel in `<prefix>._schemas`. */
export const EMBEDDED_WIRE_FORMAT: WireFormat = {
  kind: 'embedded',
  prepare: () => undefined,
  encode: (records) => [...records],
  toWire: (records) => Promise.resolve([...records]),
  close: () => undefined,
};

/** The subject part a key header's schema belongs to: the truncate key has its own (subject-name.ts). */
function keyPart(schemaId: string): SubjectPart {
  return schemaId === TRUNCATE_KEY_SCHEMA.id ? 'truncate-key' : 'key';
}

export class RegistryWireFormat implements WireFormat {
  readonly kind = 'registry';
  private readonly schemasTopic: string;
  /** Schema texts by fingerprint id, from prepare() and `_schemas` records. */
  private readonly texts = new Map<string, string>();
  /** Registry ids by subject and fingerprint id. */
  private readonly ids = new Map<string, number>();

  constructor(
    readonly client: SchemaRegistryClient,
    prefix: string,
  ) {
    this.schemasTopic = schemasTopic(prefix);
  }

  prepare(topic: string, schemas: readonly TopicSchema[], about?: string): Promise<void> | undefined {
    const missing = schemas.filter(({ part, schema }) => !this.ids.has(registration(topic, part, schema.id)));
    if (missing.length === 0) return undefined;
    return Promise.all(
      missing.map(async ({ part, schema }) => {
        this.texts.set(schema.id, schema.text);
        const id = await this.client.register(subjectName(topic, part), schema.text, about);
        this.ids.set(registration(topic, part, schema.id), id);
      }),
    ).then(() => undefined);
  }

  encode<R extends WireRecord>(records: readonly R[]): R[] {
    const out: R[] = [];
    for (const record of records) {
      if (record.topic === this.schemasTopic) {
        this.learn(record);
        continue;
      }
      const headers = record.headers ?? {};
      const keyId = headerText(headers[KEY_SCHEMA_HEADER]);
      const valueId = headerText(headers[VALUE_SCHEMA_HEADER]);
      if (keyId === undefined && valueId === undefined) {
        out.push(record);
        continue;
      }
      const { [KEY_SCHEMA_HEADER]: _key, [VALUE_SCHEMA_HEADER]: _value, ...rest } = headers;
      const framed = { ...record, headers: rest };
      if (keyId !== undefined && Buffer.isBuffer(record.key)) {
        framed.key = frame(this.idOf(record.topic, keyPart(keyId), keyId), record.key);
      }
      if (valueId !== undefined && Buffer.isBuffer(record.value)) {
        framed.value = frame(this.idOf(record.topic, 'value', valueId), record.value);
      }
      out.push(framed);
    }
    return out;
  }

  async toWire<R extends WireRecord>(records: readonly R[]): Promise<R[]> {
    for (const record of records) if (record.topic === this.schemasTopic) this.learn(record);
    const byTopic = new Map<string, TopicSchema[]>();
    const need = (topic: string, part: SubjectPart, id: string) => {
      const text = this.texts.get(id);
      if (text === undefined) return; // encode() names it
      const list = byTopic.get(topic) ?? [];
      list.push({ part, schema: { id, text } });
      byTopic.set(topic, list);
    };
    for (const record of records) {
      const keyId = headerText(record.headers?.[KEY_SCHEMA_HEADER]);
      const valueId = headerText(record.headers?.[VALUE_SCHEMA_HEADER]);
      if (keyId !== undefined) need(record.topic, keyPart(keyId), keyId);
      if (valueId !== undefined) need(record.topic, 'value', valueId);
    }
    await Promise.all([...byTopic].map(([topic, schemas]) => this.prepare(topic, schemas)));
    return this.encode(records);
  }

  close(): void {
    this.client.close();
  }

  private learn(record: WireRecord): void {
    const id = textOf(record.key);
    const text = textOf(record.value);
    if (id !== undefined && text !== undefined) this.texts.set(id, text);
  }

  private idOf(topic: string, part: SubjectPart, schemaId: string): number {
    const id = this.ids.get(registration(topic, part, schemaId));
    if (id === undefined) {
      throw new Error(
        `schema ${schemaId} was not registered for subject '${subjectName(topic, part)}' before a record used it (a bug: the writer skipped WireFormat.prepare)`,
      );
    }
    return id;
  }
}

function registration(topic: string, part: SubjectPart, schemaId: string): string {
  return `${subjectName(topic, part)}\n${schemaId}`;
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

function textOf(value: Buffer | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

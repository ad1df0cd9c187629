// A downstream consumer of rowkube's audit stream, written the way another
// team would write one: kafkajs and avsc only, no rowkube code. It follows
// `<prefix>.audit` in its own consumer group (so a restart continues where it
// stopped), decodes each event with the writer schema it names, and prints
// one line per event plus a running count per action.
//
//   eval "$(deploy/local/stack env)"
//   npx tsx examples/audit-consumer/audit-consumer.ts --prefix rowkube [--group billing] [--limit N]
//
// Schemas: every record names its writer schema's id in the header
// `rowkube.value.schema`; `<prefix>._schemas` (compacted) maps id → schema
// JSON. The consumer reads that topic at start and again for an id it does
// not know yet.
import { parseArgs } from 'node:util';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';

const { values } = parseArgs({
  options: {
    prefix: { type: 'string', default: 'rowkube' },
    group: { type: 'string', default: 'audit-consumer-example' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    limit: { type: 'string' },
  },
});
const prefix = values.prefix as string;
const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
const kafka = new Kafka({
  clientId: 'audit-consumer-example',
  brokers: (values.brokers as string).split(','),
  logLevel: logLevel.WARN,
});

/** Schema id → Avro type, from `<prefix>._schemas`. */
const types = new Map<string, avro.Type>();

async function loadSchemas(): Promise<void> {
  const consumer = kafka.consumer({ groupId: `audit-consumer-schemas-${Date.now()}` });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(`${prefix}._schemas`);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high)]));
  if (remaining.size === 0) return;
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}._schemas`, fromBeginning: true });
  await new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (message.key && message.value)
          types.set(message.key.toString(), avro.Type.forSchema(JSON.parse(message.value.toString())));
        if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
}

async function typeOf(id: string): Promise<avro.Type> {
  if (!types.has(id)) await loadSchemas();
  const type = types.get(id);
  if (type === undefined) throw new Error(`schema ${id} is not in ${prefix}._schemas`);
  return type;
}

interface AuditEvent {
  nodeId: string;
  action: string;
  reason: string;
  errorCode: string | null;
  object: { kind: string; namespace: string | null; name: string } | null;
  latencyMs: bigint | number | null;
}

await loadSchemas();
const counts = new Map<string, number>();
let seen = 0;
const consumer = kafka.consumer({ groupId: values.group as string, readUncommitted: false });
await consumer.connect();
await consumer.subscribe({ topic: `${prefix}.audit`, fromBeginning: true });
await new Promise<void>((resolve) => {
  consumer.run({
    eachMessage: async ({ message }) => {
      if (seen >= limit) return;
      const id = message.headers?.['rowkube.value.schema']?.toString();
      if (message.value === null || id === undefined) return;
      const event = (await typeOf(id)).fromBuffer(message.value) as AuditEvent;
      const object = event.object
        ? `${event.object.kind}/${event.object.namespace ? `${event.object.namespace}/` : ''}${event.object.name}`
        : '(node)';
      counts.set(event.action, (counts.get(event.action) ?? 0) + 1);
      const latency = event.latencyMs === null ? '' : ` ${event.latencyMs} ms after COMMIT`;
      const error = event.errorCode ? ` ${event.errorCode}: ${event.reason}` : '';
      console.log(`${event.nodeId} ${event.action} ${object}${latency}${error}`);
      seen += 1;
      if (seen >= limit) resolve();
    },
  });
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});
console.log(`counts: ${JSON.stringify(Object.fromEntries(counts))}`);
await consumer.disconnect();
process.exit(0);

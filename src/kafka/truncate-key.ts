import { tableLabel } from '../contracts/index.js';
import type { TableSchema } from '../core/change-event.js';
import { avroType } from './avro-type.js';
import { registerSchema } from './schema-id.js';

// The key of a truncate event (op 't') in a change topic. Change topics are
// compacted, and Kafka refuses a record without a key there, so a truncate
// cannot go keyless as Debezium sends it. Its key is a record of its own
// schema, which no primary key can equal: compaction keeps the latest truncate
// of the table next to the rows written after it, and a replay from earliest
// still meets the rows, the truncate and the later rows in offset order (one
// partition; see docs/capture.md for more).

export const TRUNCATE_KEY_SCHEMA = registerSchema({
  type: 'record',
  name: 'TruncateKey',
  namespace: 'rowkube.change',
  doc: 'the key of a truncate event (op "t"): every row of the table was removed',
  fields: [{ name: 'truncated', type: 'string', doc: 'the table: source/database[.schema].table' }],
});

const truncateKeyType = avroType(JSON.parse(TRUNCATE_KEY_SCHEMA.text));

/** The key bytes of a truncate event of the table. */
export function truncateKey(table: TableSchema): Buffer {
  return truncateKeyType.toBuffer({ truncated: tableLabel(table) });
}

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SchemaCodec } from './schema-codec.js';
import { type RegisteredSchema, registerSchema } from './schema-id.js';

// The schemas of `<prefix>.audit`: the value is schemas/audit.avsc, the key
// (the node id) a plain Avro string, so `rowkube tail <prefix>.audit` decodes
// both through `<prefix>._schemas` like any other rowkube topic.

/** schemas/ from src/kafka (tsx) or dist/src/kafka (built). */
const CANDIDATES = ['../../schemas/audit.avsc', '../../../schemas/audit.avsc'];

function loadValueSchema(): unknown {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  }
  throw new Error(`schemas/audit.avsc not found next to ${fileURLToPath(import.meta.url)}`);
}

export const AUDIT_KEY_SCHEMA: RegisteredSchema = registerSchema('string');
export const AUDIT_VALUE_SCHEMA: RegisteredSchema = registerSchema(loadValueSchema());

export const auditKeyCodec: SchemaCodec = SchemaCodec.fromText(AUDIT_KEY_SCHEMA.text);
export const auditValueCodec: SchemaCodec = SchemaCodec.fromText(AUDIT_VALUE_SCHEMA.text);

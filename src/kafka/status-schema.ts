import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SchemaCodec } from './schema-codec.js';
import { type RegisteredSchema, registerSchema } from './schema-id.js';

// The schemas of `<prefix>.status`: the value is schemas/status.avsc, the key
// (the node id) a plain Avro string, so `rowkube tail <prefix>.status`
// decodes both through `<prefix>._schemas` like any other rowkube topic.

/** schemas/ from src/kafka (tsx) or dist/src/kafka (built). */
const CANDIDATES = ['../../schemas/status.avsc', '../../../schemas/status.avsc'];

function loadValueSchema(): unknown {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  }
  throw new Error(`schemas/status.avsc not found next to ${fileURLToPath(import.meta.url)}`);
}

export const STATUS_KEY_SCHEMA: RegisteredSchema = registerSchema('string');
export const STATUS_VALUE_SCHEMA: RegisteredSchema = registerSchema(loadValueSchema());

export const statusKeyCodec: SchemaCodec = SchemaCodec.fromText(STATUS_KEY_SCHEMA.text);
export const statusValueCodec: SchemaCodec = SchemaCodec.fromText(STATUS_VALUE_SCHEMA.text);

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SchemaCodec } from './schema-codec.js';
import { type RegisteredSchema, registerSchema } from './schema-id.js';

// The schemas of `<prefix>.desired`: the value is schemas/desired.avsc, the
// key (the node id) a plain Avro string, so `rowkube tail <prefix>.desired`
// decodes both through `<prefix>._schemas` like any change topic.

/** schemas/ from src/kafka (tsx) or dist/src/kafka (built). */
const CANDIDATES = ['../../schemas/desired.avsc', '../../../schemas/desired.avsc'];

function loadValueSchema(): unknown {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  }
  throw new Error(`schemas/desired.avsc not found next to ${fileURLToPath(import.meta.url)}`);
}

export const DESIRED_KEY_SCHEMA: RegisteredSchema = registerSchema('string');
export const DESIRED_VALUE_SCHEMA: RegisteredSchema = registerSchema(loadValueSchema());

export const desiredKeyCodec: SchemaCodec = SchemaCodec.fromText(DESIRED_KEY_SCHEMA.text);
export const desiredValueCodec: SchemaCodec = SchemaCodec.fromText(DESIRED_VALUE_SCHEMA.text);

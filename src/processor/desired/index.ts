// The desired-state topic: schemas and the encoding of node updates.
export {
  type DesiredResourceValue,
  type DesiredValue,
  desiredValue,
  type EncodedDesired,
  encodeDesired,
  type Provenance,
} from './desired-message.js';
export {
  DESIRED_KEY_SCHEMA,
  DESIRED_VALUE_SCHEMA,
  desiredKeyCodec,
  desiredValueCodec,
} from './desired-schema.js';

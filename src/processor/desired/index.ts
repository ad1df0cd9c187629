// The desired-state topic: the encoding of node updates (the record's types
// are in src/contracts, its Avro schema in src/kafka).
export { desiredValue, type EncodedDesired, encodeDesired } from './desired-message.js';

// Subjects follow Confluent's TopicNameStrategy, the default of every
// Confluent-compatible serializer: `<topic>-key` and `<topic>-value`. The
// registry checks compatibility per subject, so a new version of a table's
// value schema (ALTER TABLE) is checked against the versions before it.
//
// One exception: the key of a truncate event (truncate-key.ts) is a record
// unrelated to the table's primary key. Registered under `<topic>-key` it
// would be refused under BACKWARD compatibility, and where it was accepted it
// would become the subject's latest version, which tools that infer a
// topic's key type from the latest version (ksqlDB, Flink SQL) would then
// use for every row. It goes under `<topic>-truncate-key`: readers resolve
// schemas by the id in each message, never by subject, so they decode it all
// the same.

export type SubjectPart = 'key' | 'value' | 'truncate-key';

export function subjectName(topic: string, part: SubjectPart): string {
  return `${topic}-${part}`;
}

import { type LogEntry, logLevel } from 'kafkajs';

// Which level a kafkajs log line deserves in rowkube's log. kafkajs logs at
// ERROR every broker answer that failed, including the ones it retries by
// itself and the ones that mean success for rowkube; a failure that matters
// still reaches the caller as a rejected promise, which rowkube reports (at
// error level, with its code). Without this, every run logged errors that
// were not.

export type KafkaLogLevel = 'error' | 'warn' | 'debug';

/** The part of a kafkajs log entry the level depends on. */
export type KafkaLogEntry = Pick<LogEntry, 'level' | 'namespace'> & {
  log: { message: string; error?: unknown };
};

/** Broker errors that kafkajs retries on its own (protocol error texts, as kafkajs logs them). */
const RETRIED_BY_KAFKAJS = [
  // CONCURRENT_TRANSACTIONS: a Kafka transaction that begins right after the
  // previous commit, while its markers are written. Routine for the change
  // sink, which commits back to back; retried after 5 ms (transactional-producer.ts).
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
  // COORDINATOR_LOAD_IN_PROGRESS: the transaction coordinator is loading (a
  // new transactional id, a broker that just started).
  "The coordinator is loading and hence can't process requests",
];

/**
 * A refused, reset or timed-out connection: kafkajs logs each attempt at
 * ERROR, twice, several times inside one call, for each client. rowkube waits
 * an unreachable broker out and its stage logs one warn line per attempt of
 * its own ("processor waiting for Kafka; …"), so these are debug.
 */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection timeout/;

/** Messages that are not trouble at all for rowkube. */
const ROUTINE_MESSAGES = [
  // KafkaJS v2 changed its default partitioner. rowkube has no partitioning
  // from v1 to keep: topics are made by rowkube, keys hash the v2 (Java) way.
  'KafkaJS v2.0.0 switched default partitioner',
  // The change sink limits retries on purpose (a failed transaction is
  // aborted and replayed from the stored position), which kafkajs warns
  // about for idempotent producers.
  'Limiting retries for the idempotent producer',
];

export function kafkaLogLevel(entry: KafkaLogEntry): KafkaLogLevel {
  // kafkajs logs every group join and connection at INFO: routine for
  // rowkube, which joins a throw-away group at each topic read.
  if (entry.level !== logLevel.ERROR && entry.level !== logLevel.WARN) return 'debug';
  const { message } = entry.log;
  const error = typeof entry.log.error === 'string' ? entry.log.error : '';
  if (ROUTINE_MESSAGES.some((routine) => message.startsWith(routine))) return 'debug';
  if (UNREACHABLE.test(message)) return 'debug';
  if (RETRIED_BY_KAFKAJS.some((text) => message.includes(text) || error.includes(text))) return 'debug';
  // Several stages create the same topic at once: the losers get
  // TOPIC_ALREADY_EXISTS, which kafkajs's admin treats as success. The
  // connection logs the raw answer without saying which error it held; any
  // other creation error rejects createTopics, and ensureTopics reports it.
  if (
    entry.namespace === 'Connection' &&
    message.startsWith('Response CreateTopics') &&
    error === 'Topic creation errors'
  )
    return 'debug';
  return entry.level === logLevel.ERROR ? 'error' : 'warn';
}

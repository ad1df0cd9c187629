import { type LogEntry, logLevel } from 'kafkajs';

// kafkajs logs every failed connection attempt at ERROR, twice: the
// connection says it was refused, then the broker pool says it will try
// again. While Kafka is away that is a burst of errors for something rowkube
// waits out. A refused, reset or timed-out connection is logged at WARN (the
// retry) or DEBUG (the connection's own line, which the retry repeats); real
// failures keep kafkajs's level.

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection timeout/;

/** The level at which rowkube logs a kafkajs entry. */
export function kafkajsLevel(entry: LogEntry): logLevel {
  if (entry.level !== logLevel.ERROR || !UNREACHABLE.test(entry.log.message)) return entry.level;
  return entry.namespace === 'Connection' ? logLevel.DEBUG : logLevel.WARN;
}

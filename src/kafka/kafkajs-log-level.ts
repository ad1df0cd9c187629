import { type LogEntry, logLevel } from 'kafkajs';

// kafkajs logs every failed connection attempt at ERROR, twice: the
// connection says it was refused, then the broker pool says it will try
// again — several times inside one call, for each client of the process.
// While Kafka is away that is a burst of errors for something rowkube waits
// out, and the caller already logs one warn line per attempt of its own
// ("processor waiting for Kafka; …"). A refused, reset or timed-out
// connection is therefore logged at DEBUG; other failures keep kafkajs's level.

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection timeout/;

/** The level at which rowkube logs a kafkajs entry. */
export function kafkajsLevel(entry: LogEntry): logLevel {
  return entry.level === logLevel.ERROR && UNREACHABLE.test(entry.log.message) ? logLevel.DEBUG : entry.level;
}

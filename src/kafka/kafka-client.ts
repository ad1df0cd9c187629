import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkajsLevel } from './kafkajs-log-level.js';

// One place that builds kafkajs clients, so that every rowkube process logs
// kafkajs through pino (structured, one stream) instead of kafkajs's console
// logger.

export interface KafkaClientOptions {
  brokers: readonly string[];
  /** Shows up in broker logs and quotas. Default "rowkube". */
  clientId?: string;
  /**
   * kafkajs logs go here. Without a logger kafkajs is silent: every failure
   * that matters reaches the caller as a rejected promise anyway, and kafkajs
   * logs transient trouble it recovers from at ERROR level.
   */
  logger?: Logger;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  const { logger } = options;
  return new Kafka({
    clientId: options.clientId ?? 'rowkube',
    brokers: [...options.brokers],
    logLevel: logger === undefined ? logLevel.NOTHING : logLevel.INFO,
    logCreator: () => (entry: LogEntry) => {
      // kafkajs's own timestamp and logger name would duplicate pino's fields.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log;
      // KafkaChangeSink limits retries on purpose (a failed transaction is
      // aborted and replayed from the stored position), which kafkajs warns
      // about for idempotent producers.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      const record = { kafkajs: entry.namespace, ...fields };
      if (logger === undefined) return;
      switch (kafkajsLevel(entry)) {
        case logLevel.ERROR:
          logger.error(record, message);
          break;
        case logLevel.WARN:
          logger.warn(record, message);
          break;
        default:
          // kafkajs logs every group join and connection at INFO: routine
          // for rowkube, which joins a throw-away group at each topic read.
          logger.debug(record, message);
      }
    },
  });
}

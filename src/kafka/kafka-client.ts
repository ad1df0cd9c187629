import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaLogLevel } from './kafka-log-level.js';

// One place that builds kafkajs clients, so that every rowkube process logs
// kafkajs through pino (structured, one stream) instead of kafkajs's console
// logger.

export interface KafkaClientOptions {
  brokers: readonly string[];
  /** Shows up in broker logs and quotas. Default "rowkube". */
  clientId?: string;
  /**
   * kafkajs logs go here, each at the level kafkaLogLevel() gives it. Without
   * a logger kafkajs is silent: every failure that matters reaches the caller
   * as a rejected promise anyway.
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
      if (logger === undefined) return;
      // kafkajs's own timestamp and logger name would duplicate pino's fields.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log;
      logger[kafkaLogLevel(entry)]({ kafkajs: entry.namespace, ...fields }, message);
    },
  });
}

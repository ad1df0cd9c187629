import { Kafka, type KafkaConfig as KafkajsConfig, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaSaslSettings } from '../core/config/kafka-sasl-schema.js';
import type { KafkaSslConfig } from '../core/config/kafka-security-schema.js';
import { kafkaLogLevel } from './kafka-log-level.js';
import { oauthBearerMechanism } from './oauth-bearer.js';
import { fixKafkajsRequestQueue } from './request-queue-timer.js';

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
  /** TLS to the brokers (config `kafka.ssl`); absent means plaintext. */
  ssl?: KafkaSslConfig | undefined;
  /** SASL login (config `kafka.sasl`). */
  sasl?: KafkaSaslSettings | undefined;
  /** kafkajs's retry settings; default kafkajs's own. */
  retry?: KafkajsConfig['retry'];
}

/**
 * The kafkajs form of `kafka.ssl` and `kafka.sasl`. Pass the whole `kafka`
 * section of the configuration to createKafka, so that no command forgets
 * them: `createKafka({ ...config.kafka, logger })`.
 */
export function kafkaSecurity(
  options: Pick<KafkaClientOptions, 'ssl' | 'sasl'>,
): Pick<KafkajsConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkajsConfig, 'ssl' | 'sasl'> = {};
  const { ssl, sasl } = options;
  if (ssl !== undefined) {
    out.ssl = {
      rejectUnauthorized: ssl.rejectUnauthorized,
      ...(ssl.ca === undefined ? {} : { ca: [ssl.ca] }),
      ...(ssl.cert === undefined ? {} : { cert: ssl.cert }),
      ...(ssl.key === undefined ? {} : { key: ssl.key }),
      ...(ssl.servername === undefined ? {} : { servername: ssl.servername }),
    };
  }
  if (sasl?.mechanism === 'oauthbearer') {
    out.sasl = oauthBearerMechanism(sasl.tokenFile);
  } else if (sasl !== undefined) {
    out.sasl = {
      mechanism: sasl.mechanism,
      username: sasl.username,
      password: sasl.password,
    } as KafkajsConfig['sasl'];
  }
  return out;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  const { logger } = options;
  // Before the first connection: kafkajs's idle request queues spin a 1 ms timer otherwise.
  const fix = fixKafkajsRequestQueue();
  if (!fix.applied)
    logger?.warn({ reason: fix.reason }, 'kafkajs idle request-queue timer left as is (idle CPU is higher)');
  return new Kafka({
    clientId: options.clientId ?? 'rowkube',
    brokers: [...options.brokers],
    ...kafkaSecurity(options),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    logLevel: logger === undefined ? logLevel.NOTHING : logLevel.INFO,
    logCreator: () => (entry: LogEntry) => {
      if (logger === undefined) return;
      // kafkajs's own timestamp and logger name would duplicate pino's fields.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log;
      logger[kafkaLogLevel(entry)]({ kafkajs: entry.namespace, ...fields }, message);
    },
  });
}

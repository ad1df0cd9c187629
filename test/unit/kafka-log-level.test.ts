import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type KafkaLogEntry, kafkaLogLevel } from '../../src/kafka/kafka-log-level.js';

// Log entries as kafkajs 2.2 produces them (taken from a capture run against
// the local broker).

const entry = (level: logLevel, namespace: string, message: string, error?: string): KafkaLogEntry => ({
  level,
  namespace,
  log: { message, ...(error === undefined ? {} : { error }) },
});

const CONCURRENT =
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

describe('Kafka > kafkaLogLevel > what kafkajs retries or rowkube expects', () => {
  it('logs the retried CONCURRENT_TRANSACTIONS answer and its retry at debug', () => {
    expect(
      kafkaLogLevel(
        entry(logLevel.ERROR, 'Connection', 'Response AddPartitionsToTxn(key: 24, version: 1)', CONCURRENT),
      ),
    ).toBe('debug');
    expect(kafkaLogLevel(entry(logLevel.ERROR, 'Producer', `Failed to send messages: ${CONCURRENT}`))).toBe(
      'debug',
    );
  });

  it('logs a loading transaction coordinator at debug', () => {
    expect(
      kafkaLogLevel(
        entry(
          logLevel.ERROR,
          'Connection',
          'Response InitProducerId(key: 22, version: 1)',
          "The coordinator is loading and hence can't process requests for this group",
        ),
      ),
    ).toBe('debug');
  });

  it('logs the race of stages creating the same topic at debug', () => {
    expect(
      kafkaLogLevel(
        entry(
          logLevel.ERROR,
          'Connection',
          'Response CreateTopics(key: 19, version: 3)',
          'Topic creation errors',
        ),
      ),
    ).toBe('debug');
  });

  it('logs the default partitioner notice and the limited idempotent retries at debug', () => {
    expect(
      kafkaLogLevel(
        entry(
          logLevel.WARN,
          '',
          'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior as in previous versions, create the producer with the option "createPartitioner: Partitioners.LegacyPartitioner".',
        ),
      ),
    ).toBe('debug');
    expect(
      kafkaLogLevel(
        entry(
          logLevel.WARN,
          'Producer',
          'Limiting retries for the idempotent producer to Number.MAX_SAFE_INTEGER',
        ),
      ),
    ).toBe('debug');
  });

  it('logs routine INFO and DEBUG lines (group joins, connections) at debug', () => {
    expect(kafkaLogLevel(entry(logLevel.INFO, 'ConsumerGroup', 'Consumer has joined the group'))).toBe(
      'debug',
    );
    expect(kafkaLogLevel(entry(logLevel.DEBUG, 'Connection', 'Request Metadata(key: 3, version: 6)'))).toBe(
      'debug',
    );
  });
});

describe('Kafka > kafkaLogLevel > real trouble', () => {
  it('keeps other failed answers at error', () => {
    expect(
      kafkaLogLevel(
        entry(
          logLevel.ERROR,
          'Connection',
          'Response Produce(key: 0, version: 7)',
          "The producer's transaction has been expired by the broker",
        ),
      ),
    ).toBe('error');
    expect(
      kafkaLogLevel(
        entry(
          logLevel.ERROR,
          'Connection',
          'Response InitProducerId(key: 22, version: 1)',
          "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker",
        ),
      ),
    ).toBe('error');
  });

  it('logs an unreachable broker at debug: the stage waiting for it says so once per attempt, at warn', () => {
    expect(
      kafkaLogLevel(
        entry(
          logLevel.ERROR,
          'BrokerPool',
          'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:19092',
        ),
      ),
    ).toBe('debug');
    expect(
      kafkaLogLevel(
        entry(logLevel.ERROR, 'Producer', 'Failed to send messages: Connection error: read ECONNRESET'),
      ),
    ).toBe('debug');
  });

  it('keeps failed sends at error, and warnings at warn', () => {
    expect(
      kafkaLogLevel(entry(logLevel.ERROR, 'Producer', 'Failed to send messages: Broker: Message too large')),
    ).toBe('error');
    expect(
      kafkaLogLevel(
        entry(
          logLevel.WARN,
          'Admin',
          'Could not create topics',
          'This is not the correct controller for this cluster',
        ),
      ),
    ).toBe('warn');
  });

  it('keeps a failed topic creation other than the race at error', () => {
    expect(
      kafkaLogLevel(
        entry(
          logLevel.ERROR,
          'Connection',
          'Response CreateTopics(key: 19, version: 3)',
          'Request timed out',
        ),
      ),
    ).toBe('error');
  });
});

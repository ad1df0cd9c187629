import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  logLevel,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { isKafkaUnreachable, toKafkaError } from '../../src/kafka/kafka-errors.js';
import { kafkaLogLevel } from '../../src/kafka/kafka-log-level.js';

const refused = () =>
  new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092', {
    broker: '127.0.0.1:19092',
    code: 'ECONNREFUSED',
  });

describe('kafka > unreachable brokers', () => {
  it('recognises a refused connection however kafkajs and rowkube wrapped it', () => {
    expect(isKafkaUnreachable(refused())).toBe(true);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused(), { retryCount: 5, retryTime: 10_000 });
    expect(isKafkaUnreachable(exhausted)).toBe(true);
    expect(isKafkaUnreachable(toKafkaError('the sink failed', exhausted))).toBe(true);
  });

  it('does not take a broker that answered with an error, or a bug, for an outage', () => {
    const fenced = new KafkaJSProtocolError({
      message: 'fenced',
      type: 'PRODUCER_FENCED',
      code: 90,
      retriable: false,
    } as never);
    expect(isKafkaUnreachable(fenced)).toBe(false);
    expect(isKafkaUnreachable(new TypeError('x is undefined'))).toBe(false);
    expect(isKafkaUnreachable(new RowkubeError(ErrorCode.CONFIG, 'bad'))).toBe(false);
  });

  it("logs kafkajs's refused connections and their retries at debug; other errors stay errors", () => {
    const entry = (namespace: string, message: string, level = logLevel.ERROR) => ({
      namespace,
      level,
      label: 'ERROR',
      log: { timestamp: '', logger: 'kafkajs', message },
    });
    expect(kafkaLogLevel(entry('Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:19092'))).toBe(
      'debug',
    );
    expect(
      kafkaLogLevel(
        entry(
          'BrokerPool',
          'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:19092',
        ),
      ),
    ).toBe('debug');
    expect(kafkaLogLevel(entry('Consumer', 'Crash: KafkaJSProtocolError: fenced'))).toBe('error');
    expect(kafkaLogLevel(entry('Consumer', 'joined', logLevel.INFO))).toBe('debug');
  });
});

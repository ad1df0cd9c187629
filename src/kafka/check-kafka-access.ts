import { connect as tlsConnect } from 'node:tls';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { createKafka, type KafkaClientOptions } from './kafka-client.js';
import { kafkaSecurityFailure } from './kafka-errors.js';

// One connection before a command starts its stages, so that a wrong security
// setting fails fast and once, with the setting to fix in the message, instead
// of as the same connection error from every stage, each after kafkajs's own
// retries. Brokers that do not answer at all are not an error here: the stages
// wait for Kafka as they always have.

const TLS_PROBE_MS = 3_000;

export async function checkKafkaAccess(options: KafkaClientOptions): Promise<void> {
  const admin = createKafka({ ...options, logger: undefined, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
  } catch (error) {
    const security = kafkaSecurityFailure('connecting to Kafka', error);
    if (security !== undefined) throw security;
    const broker = options.brokers[0];
    if (
      options.ssl === undefined &&
      broker !== undefined &&
      closedByBroker(error) &&
      (await speaksTls(broker))
    ) {
      throw new RowkubeError(
        ErrorCode.KAFKA_SECURITY,
        `connecting to Kafka: ${broker} is a TLS listener and closed the plaintext connection; set kafka.ssl (and kafka.sasl), or point kafka.brokers at a plaintext listener`,
        false,
        { cause: error },
      );
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function closedByBroker(error: unknown, seen = new Set<unknown>()): boolean {
  if (error === null || typeof error !== 'object' || seen.has(error)) return false;
  seen.add(error);
  const e = error as { name?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown };
  if (e.name === 'KafkaJSConnectionClosedError') return true;
  const inner = [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((cause) => closedByBroker(cause, seen));
}

/** True when host:port completes a TLS handshake (whatever its certificate). */
function speaksTls(broker: string): Promise<boolean> {
  const colon = broker.lastIndexOf(':');
  const host = broker.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, timeout: TLS_PROBE_MS }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

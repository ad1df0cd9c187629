import { connect as tlsConnect } from 'node:tls';
import type { Admin } from 'kafkajs';
import { schemasTopic } from '../contracts/topic-names.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { createKafka, type KafkaClientOptions } from './kafka-client.js';
import { kafkaSecurityFailure } from './kafka-errors.js';

// One connection before a command starts its stages, so that a wrong security
// setting fails fast and once, with the setting to fix in the message, instead
// of as the same connection error from every stage, each after kafkajs's own
// retries. Brokers that do not answer at all are not an error here: the stages
// wait for Kafka as they always have.

const TLS_PROBE_MS = 3_000;

/**
 * Connects once; with a topicPrefix, also asks the broker whether rowkube may
 * create its schema topic (validateOnly: nothing is created), so a missing
 * topic ACL is one clear error naming the topic rather than a failure of
 * every stage.
 */
export async function checkKafkaAccess(
  options: KafkaClientOptions & { topicPrefix?: string },
): Promise<void> {
  const admin = createKafka({ ...options, logger: undefined, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    if (options.topicPrefix !== undefined) await checkTopicAcl(admin, schemasTopic(options.topicPrefix));
  } catch (error) {
    if (error instanceof RowkubeError) throw error;
    const security = kafkaSecurityFailure('connecting to Kafka', error, { atStart: true });
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

async function checkTopicAcl(admin: Admin, topic: string): Promise<void> {
  try {
    await admin.createTopics({ validateOnly: true, topics: [{ topic }] });
  } catch (error) {
    // TOPIC_ALREADY_EXISTS and the like are fine here; only a refusal counts.
    const denied = kafkaSecurityFailure(`creating topic '${topic}'`, error, { atStart: true });
    if (denied !== undefined) throw denied;
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

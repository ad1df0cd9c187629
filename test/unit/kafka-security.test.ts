import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/core/config/config-schema.js';
import { kafkaAclCommands, rowkubeKafkaAcls } from '../../src/kafka/kafka-acls.js';
import { kafkaSecurity } from '../../src/kafka/kafka-client.js';
import { isKafkaUnreachable, kafkaSecurityFailure, toKafkaError } from '../../src/kafka/kafka-errors.js';

// Shapes as kafkajs throws them: its retrier wraps the connection error.
const retried = (inner: object) => ({
  name: 'KafkaJSNumberOfRetriesExceeded',
  message: 'x',
  originalError: inner,
});

describe('Kafka security failures', () => {
  it('a refused SASL login names kafka.sasl.password and is not retried', () => {
    const error = toKafkaError('connecting', {
      name: 'KafkaJSSASLAuthenticationError',
      message: 'SASL SCRAM SHA512 authentication failed: invalid credentials',
    });
    expect(error.code).toBe('ROWKUBE_ERR_KAFKA_SECURITY');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('kafka.sasl.password');
  });

  it('an untrusted certificate names kafka.ssl.ca, and is no outage to wait out', () => {
    const error = retried({
      name: 'KafkaJSConnectionError',
      message: 'Connection error: unable to verify the first certificate',
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(toKafkaError('connecting', error).message).toContain('kafka.ssl.ca');
    expect(isKafkaUnreachable(error)).toBe(false);
  });

  // Node's error when the broker closes the socket during the TLS handshake:
  // a plaintext port at a command's first connection, a broker going down later.
  const handshakeClosed = () =>
    retried({
      name: 'KafkaJSConnectionError',
      message:
        'Connection error: Client network socket disconnected before secure TLS connection was established',
      code: 'ECONNRESET',
    });

  it('at start, a TLS handshake the broker closes is a plaintext port: one error naming kafka.brokers', () => {
    const failure = kafkaSecurityFailure('connecting', handshakeClosed(), { atStart: true });
    expect(failure?.code).toBe('ROWKUBE_ERR_KAFKA_SECURITY');
    expect(failure?.retriable).toBe(false);
    expect(failure?.message).toContain('kafka.brokers');
  });

  it('later in a run, a TLS handshake the broker closes is an outage to wait out (a broker restart)', () => {
    const error = handshakeClosed();
    expect(kafkaSecurityFailure('connecting', error)).toBeUndefined();
    expect(isKafkaUnreachable(error)).toBe(true);
    const failure = toKafkaError('the apply failed', error);
    expect(failure.code).toBe('ROWKUBE_ERR_KAFKA');
    expect(failure.retriable).toBe(true);
  });

  it('a port that answers TLS with plaintext (wrong version number) is a misconfiguration at any time', () => {
    const error = retried({
      name: 'KafkaJSConnectionError',
      message: 'Connection error: write EPROTO ... wrong version number',
      code: 'EPROTO',
    });
    expect(toKafkaError('connecting', error).retriable).toBe(false);
    expect(isKafkaUnreachable(error)).toBe(false);
  });

  it('a missing ACL names the refused resource kind and the command that prints the ACLs', () => {
    const error = toKafkaError("creating topic 'p.desired'", {
      name: 'KafkaJSProtocolError',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      message: 'Not authorized to access topics: [Topic authorization failed]',
    });
    expect(error.retriable).toBe(false);
    expect(error.message).toContain("'p.desired'");
    expect(error.message).toContain('rowkube kafka-acls');
  });

  it('a refused connection stays an outage to wait out', () => {
    const error = retried({
      name: 'KafkaJSConnectionError',
      message: 'Connection error: connect ECONNREFUSED',
      code: 'ECONNREFUSED',
    });
    expect(kafkaSecurityFailure('connecting', error)).toBeUndefined();
    expect(isKafkaUnreachable(error)).toBe(true);
    expect(toKafkaError('connecting', error).retriable).toBe(true);
  });
});

describe('kafka.ssl and kafka.sasl', () => {
  const base = { sources: [{ name: 's', mysql: { url: 'mysql://u:p@h:1/d' }, tables: ['t'] }] };
  const parse = (kafka: object) => configSchema.safeParse({ ...base, kafka: { brokers: ['b:1'], ...kafka } });

  it('become kafkajs ssl and sasl options', () => {
    expect(
      kafkaSecurity({
        ssl: { ca: 'CA', rejectUnauthorized: true, servername: 'kafka' },
        sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      }),
    ).toEqual({
      ssl: { ca: ['CA'], rejectUnauthorized: true, servername: 'kafka' },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    expect(kafkaSecurity({})).toEqual({});
  });

  it('refuses a certificate without its key and an unknown mechanism', () => {
    expect(parse({ ssl: { cert: 'C' } }).success).toBe(false);
    expect(parse({ sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }).success).toBe(false);
    expect(parse({ ssl: {}, sasl: { mechanism: 'plain', username: 'u', password: 'p' } }).success).toBe(true);
  });
});

describe('rowkube kafka-acls', () => {
  it('covers the topic prefix, both stage groups, reader groups and both transactional id prefixes', () => {
    const acls = rowkubeKafkaAcls('rk');
    expect(acls.map((a) => `${a.resource}:${a.pattern}:${a.name}`)).toEqual([
      'topic:prefixed:rk.',
      'group:literal:rowkube-process-rk',
      'group:literal:rowkube-apply-rk',
      'group:prefixed:rowkube-reader-',
      'transactional-id:prefixed:rowkube-capture-rk-',
      'transactional-id:prefixed:rowkube-process-rk-',
      'cluster:literal:kafka-cluster',
    ]);
  });

  it('prints kafka-acls.sh commands', () => {
    const text = kafkaAclCommands(rowkubeKafkaAcls('rk'), 'User:rowkube', 'b:9094');
    expect(text).toContain(
      '--allow-principal User:rowkube --resource-pattern-type prefixed --topic rk. --operation Create --operation Describe --operation DescribeConfigs --operation Read --operation Write',
    );
    expect(text).toContain('--cluster --operation IdempotentWrite');
    expect(text.match(/^kafka-acls\.sh /gm)).toHaveLength(7);
  });
});

import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Smoke test of the local stack: the KRaft broker accepts a topic, a produced
// record and a consumer group that reads it back.
describe('local stack > Kafka', () => {
  const env = stackEnv();
  const kafka = new Kafka({
    clientId: 'rowkube-smoke',
    brokers: env.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const topic = uniqueName('smoke');

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('produces a record and consumes it from the beginning', async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'tenant-1', value: 'hello, zoë' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group'), maxWaitTimeInMs: 100 });
    const received: { key: string; value: string }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: String(message.key), value: String(message.value) });
        },
      });
      await waitFor('the record to be consumed', () => (received.length > 0 ? received : undefined));
      expect(received).toEqual([{ key: 'tenant-1', value: 'hello, zoë' }]);
    } finally {
      await consumer.disconnect();
    }
  });
});

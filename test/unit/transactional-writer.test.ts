import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type OutgoingRecord, TransactionalWriter } from '../../src/kafka/transactional-writer.js';

// The writer against a fake kafkajs producer that logs what a broker would
// see, with hooks to hold or break a call.

interface Hooks {
  beforeSend?: () => Promise<void>;
  beforeConnect?: () => Promise<void>;
}

function fakeKafka() {
  const log: string[] = [];
  const hooks: Hooks = {};
  let producers = 0;
  const kafka = {
    producer: () => {
      const id = ++producers;
      return {
        connect: async () => {
          await hooks.beforeConnect?.();
          log.push(`connect ${id}`);
        },
        disconnect: async () => void log.push(`disconnect ${id}`),
        transaction: async () => {
          let active = true;
          let sent = 0;
          return {
            sendBatch: async ({
              topicMessages,
            }: {
              topicMessages: { topic: string; messages: unknown[] }[];
            }) => {
              await hooks.beforeSend?.();
              sent += 1;
              log.push(`send ${topicMessages.map((t) => `${t.topic}:${t.messages.length}`).join(' ')}`);
            },
            commit: async () => {
              active = false;
              log.push('commit');
            },
            abort: async () => {
              active = false;
              // openTransactionalProducer aborts an empty transaction at start: not worth a line.
              if (sent > 0) log.push('abort');
            },
            isActive: () => active,
          };
        },
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, log, hooks };
}

const records = (topic: string, n = 1): OutgoingRecord[] =>
  Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, value: 'v' }));

async function writerWith() {
  const fake = fakeKafka();
  const seen = { drained: 0, failed: [] as string[] };
  const writer = new TransactionalWriter({
    kafka: fake.kafka,
    label: "source 'appdb'",
    transactionalId: 'rowkube-capture-appdb',
    transactionTimeoutMs: 60_000,
    events: {
      drained: () => {
        seen.drained += 1;
      },
      failed: (failure) => void seen.failed.push(failure.code),
    },
  });
  await writer.connect();
  return { writer, seen, ...fake };
}

/** Lets the queue run: a few macrotask turns. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

function hold(hooks: Hooks, key: keyof Hooks): () => void {
  let release: () => void = () => undefined;
  hooks[key] = () => new Promise<void>((resolve) => (release = resolve));
  return () => {
    hooks[key] = undefined;
    release();
  };
}

describe('Kafka > TransactionalWriter > queue', () => {
  it('sends and commits in call order, one Kafka transaction at a time', async () => {
    const { writer, log, seen } = await writerWith();
    expect(writer.state).toBe('idle');
    const done = [writer.send(records('a')), writer.send(records('b', 2)), writer.commit()];
    expect(writer.busy).toBe(true);
    await Promise.all(done);
    expect(writer.state).toBe('idle');
    await Promise.all([writer.send(records('a')), writer.commit()]);
    expect(log).toEqual(['connect 1', 'send a:1', 'send b:2', 'commit', 'send a:1', 'commit']);
    await settle();
    expect(writer.busy).toBe(false);
    expect(seen.drained).toBe(2);
  });

  it('keeps a Kafka transaction open between sends until commit()', async () => {
    const { writer, log } = await writerWith();
    await writer.send(records('a'));
    expect(writer.state).toBe('open');
    await writer.abortTransaction();
    expect(writer.state).toBe('idle');
    expect(log.slice(1)).toEqual(['send a:1', 'abort']);
  });

  it('counts the records waiting behind the call in flight', async () => {
    const { writer, hooks } = await writerWith();
    const release = hold(hooks, 'beforeSend');
    const done = [writer.send(records('a', 3)), writer.send(records('b', 4)), writer.commit()];
    await settle();
    expect(writer.queuedRecords).toBe(4);
    release();
    await Promise.all(done);
    expect(writer.queuedRecords).toBe(0);
  });
});

describe('Kafka > TransactionalWriter > failures', () => {
  it('rejects everything with a retriable error until restart(), which brings a new producer', async () => {
    const { writer, log, hooks, seen } = await writerWith();
    await writer.send(records('a'));
    hooks.beforeSend = async () => {
      throw new Error('broker gone');
    };
    const send = writer.send(records('b'));
    const commit = writer.commit();
    await expect(send).rejects.toMatchObject({ code: 'ROWKUBE_ERR_KAFKA', retriable: true });
    await expect(commit).rejects.toThrow(/Kafka transaction of source 'appdb' failed: broker gone/);
    expect(writer.state).toBe('failed');
    expect(seen.failed).toEqual(['ROWKUBE_ERR_KAFKA']);
    await expect(writer.send(records('c'))).rejects.toThrow(/broker gone/);
    await settle();
    // The failed transaction was aborted, once its call had returned.
    expect(log).toEqual(['connect 1', 'send a:1', 'abort']);

    hooks.beforeSend = undefined;
    await writer.restart();
    expect(writer.state).toBe('idle');
    await Promise.all([writer.send(records('c')), writer.commit()]);
    expect(log.slice(3)).toEqual(['disconnect 1', 'connect 2', 'send c:1', 'commit']);
  });

  it('stays failed when the restart cannot reach Kafka, and restarts on a later call', async () => {
    const { writer, hooks } = await writerWith();
    writer.fail(new Error('lost'));
    hooks.beforeConnect = async () => {
      throw new Error('ECONNREFUSED');
    };
    await expect(writer.restart()).rejects.toMatchObject({
      code: 'ROWKUBE_ERR_KAFKA',
      retriable: true,
      message: expect.stringContaining("restarting the Kafka producer of source 'appdb' failed"),
    });
    expect(writer.state).toBe('failed');
    hooks.beforeConnect = undefined;
    await writer.restart();
    expect(writer.state).toBe('idle');
  });

  it('refuses to restart once another producer took over the transactional id', async () => {
    const { writer, hooks } = await writerWith();
    hooks.beforeSend = async () => {
      throw Object.assign(new Error('There is a newer producer with the same transactionalId'), {
        type: 'PRODUCER_FENCED',
      });
    };
    await expect(writer.send(records('a'))).rejects.toMatchObject({ retriable: false });
    await expect(writer.restart()).rejects.toThrow(/another process took over/);
    expect(writer.state).toBe('failed');
  });

  it('on fail() during a Kafka call, aborts its transaction only after the call returned', async () => {
    const { writer, log, hooks } = await writerWith();
    const release = hold(hooks, 'beforeSend');
    const send = writer.send(records('a'));
    const commit = writer.commit();
    await settle();
    writer.fail(new Error('cannot encode'));
    await expect(commit).rejects.toThrow(/cannot encode/);
    await expect(send).rejects.toThrow(/cannot encode/);
    await settle();
    expect(log).toEqual(['connect 1']);
    release();
    await writer.restart();
    // The send completed, then its transaction was aborted, never committed.
    expect(log).toEqual(['connect 1', 'send a:1', 'abort', 'disconnect 1', 'connect 2']);
  });
});

describe('Kafka > TransactionalWriter > close', () => {
  it('aborts an open transaction, disconnects, and refuses further work', async () => {
    const { writer, log } = await writerWith();
    await writer.send(records('a'));
    await writer.close();
    expect(writer.state).toBe('closed');
    expect(log).toEqual(['connect 1', 'send a:1', 'abort', 'disconnect 1']);
    await expect(writer.send(records('b'))).rejects.toMatchObject({ retriable: false });
  });

  it('rejects what is queued behind the call in flight', async () => {
    const { writer, hooks } = await writerWith();
    const release = hold(hooks, 'beforeSend');
    const first = writer.send(records('a'));
    const second = writer.send(records('b'));
    await settle();
    const closing = writer.close();
    await expect(second).rejects.toThrow(/is closed/);
    release();
    await closing;
    await expect(first).rejects.toThrow(/is closed/);
  });
});

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FIXED_KAFKAJS_VERSION, fixKafkajsRequestQueue } from '../../src/kafka/request-queue-timer.js';
import { waitFor } from '../../support/wait-for.js';

// kafkajs's own RequestQueue (the class its connections use), with the fix
// of src/kafka/request-queue-timer.ts: no timer while nothing waits, and a
// request held back by a broker's throttle still goes out when it ends.

const require = createRequire(import.meta.url);

interface Entry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface RequestQueue {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  push(request: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: unknown; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function queue(): RequestQueue {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (
    options: object,
  ) => RequestQueue;
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'rowkube-test',
    broker: 'localhost:0',
    logger: silent,
  });
}

function entry(correlationId: number): Entry {
  return { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve() {}, reject() {} };
}

describe('Kafka > fixKafkajsRequestQueue', () => {
  it(`applies to the pinned kafkajs ${FIXED_KAFKAJS_VERSION}`, () => {
    const { version } = require('kafkajs/package.json') as { version: string };
    expect(version).toBe(FIXED_KAFKAJS_VERSION);
    expect(fixKafkajsRequestQueue()).toEqual({ applied: true });
  });

  it('leaves no timer behind once an answer arrives and nothing waits', () => {
    fixKafkajsRequestQueue();
    const q = queue();
    q.push({ entry: entry(1), expectResponse: true, sendRequest() {} });
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    // kafkajs 2.2.4 alone: a 1 ms timer here that sets itself again for ever.
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });

  it('sends a request held back by a throttle when the throttle ends', async () => {
    fixKafkajsRequestQueue();
    const q = queue();
    q.maybeThrottle(50);
    const queuedAt = Date.now();
    let sentAt: number | undefined;
    q.push({
      entry: entry(2),
      expectResponse: true,
      sendRequest() {
        sentAt = Date.now();
      },
    });
    expect(q.pending).toHaveLength(1);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    const sent = await waitFor('the throttled request to be sent', () => sentAt, {
      timeoutMs: 2_000,
      intervalMs: 5,
    });
    expect(sent - queuedAt).toBeGreaterThanOrEqual(45);
    q.fulfillRequest({ correlationId: 2, payload: null, size: 0 });
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });
});

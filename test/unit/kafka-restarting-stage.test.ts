import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PipelineMetrics } from '../../src/contracts/index.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { runRestarting } from '../../src/kafka/restarting-stage.js';

function recording() {
  const states: [string, boolean, string | undefined][] = [];
  const metrics: PipelineMetrics = {
    componentState: (component, ready, reason) => states.push([component, ready, reason]),
    changesCaptured: () => undefined,
    desiredCommitted: () => undefined,
    sinkAudited: () => undefined,
    stageFailed: () => undefined,
  };
  return { states, metrics };
}

describe('kafka > restarting stage > waiting for a dependency', () => {
  const refused = () =>
    new KafkaJSNumberOfRetriesExceeded(
      new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092', {
        code: 'ECONNREFUSED',
      }),
      { retryCount: 5, retryTime: 100 },
    );

  it('names Kafka in the readiness reason while the brokers are away, and warns once per attempt', async () => {
    const { states, metrics } = recording();
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    let attempts = 0;
    await runRestarting(
      {
        stage: 'processor',
        signal: new AbortController().signal,
        logger,
        metrics,
        restartDelayMs: 1,
        restarting: 'rebuilding',
      },
      async () => {
        attempts += 1;
        if (attempts < 4) throw refused();
      },
    );
    expect(attempts).toBe(4);
    expect(states).toHaveLength(3);
    for (const [component, ready, reason] of states) {
      expect([component, ready]).toEqual(['processor', false]);
      expect(reason).toMatch(/^waiting for Kafka: ROWKUBE_ERR_KAFKA: .*ECONNREFUSED/);
    }
    expect(lines.map((line) => line.level)).toEqual([40, 40, 40]);
  });

  it('waits out a TLS handshake the broker closes mid-run (a broker restart), not a fatal TLS error', async () => {
    const { states, metrics } = recording();
    const closed = () =>
      new KafkaJSNumberOfRetriesExceeded(
        new KafkaJSConnectionError(
          'Connection error: Client network socket disconnected before secure TLS connection was established',
          { code: 'ECONNRESET' },
        ),
        { retryCount: 5, retryTime: 100 },
      );
    let attempts = 0;
    await runRestarting(
      {
        stage: 'sink',
        signal: new AbortController().signal,
        logger: pino({ level: 'silent' }),
        metrics,
        restartDelayMs: 1,
        restarting: 'resuming',
      },
      async () => {
        attempts += 1;
        if (attempts < 3) throw closed();
      },
    );
    expect(attempts).toBe(3);
    expect(states.map(([, , reason]) => reason?.startsWith('waiting for Kafka: ROWKUBE_ERR_KAFKA:'))).toEqual(
      [true, true],
    );
  });

  it('names another dependency the stage recognises, and says restarting for anything else', async () => {
    const { states, metrics } = recording();
    let attempts = 0;
    await runRestarting(
      {
        stage: 'sink',
        signal: new AbortController().signal,
        logger: pino({ level: 'silent' }),
        metrics,
        restartDelayMs: 1,
        restarting: 'starting over',
        unreachable: (error) =>
          (error as Error).message.includes('apiserver') ? 'the API server' : undefined,
      },
      async () => {
        attempts += 1;
        if (attempts === 1) throw new RowkubeError(ErrorCode.KUBERNETES, 'apiserver away', true);
        if (attempts === 2) throw new RowkubeError(ErrorCode.KAFKA, 'transaction aborted', true);
      },
    );
    expect(states.map(([, , reason]) => reason)).toEqual([
      'waiting for the API server: ROWKUBE_ERR_KUBERNETES: apiserver away',
      'restarting: ROWKUBE_ERR_KAFKA: transaction aborted',
    ]);
  });
});

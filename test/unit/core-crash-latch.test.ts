import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CrashLatch } from '../../src/core/crash-latch.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { runRestarting } from '../../src/kafka/restarting-stage.js';

describe('core > crash latch', () => {
  it('keeps the first failure: crashed rejects with it and check throws it', async () => {
    const latch = new CrashLatch();
    expect(() => latch.check()).not.toThrow();
    latch.crash(new Error('first'));
    latch.crash(new Error('second'));
    await expect(latch.crashed).rejects.toThrow('first');
    expect(() => latch.check()).toThrow('first');
  });
});

describe('kafka > restarting stage', () => {
  const options = (signal: AbortSignal) => ({
    stage: 'sink' as const,
    signal,
    logger: pino({ level: 'silent' }),
    restartDelayMs: 1,
    restarting: 'starting over',
  });

  it('starts a retriable failure over, and returns when an attempt ends', async () => {
    let attempts = 0;
    await runRestarting(options(new AbortController().signal), async () => {
      attempts += 1;
      if (attempts < 3) throw new RowkubeError(ErrorCode.KAFKA, 'broker away', true);
    });
    expect(attempts).toBe(3);
  });

  it('rejects a failure that a restart cannot fix', async () => {
    let attempts = 0;
    const run = runRestarting(options(new AbortController().signal), async () => {
      attempts += 1;
      throw new RowkubeError(ErrorCode.CONFIG, 'misconfigured');
    });
    await expect(run).rejects.toThrow('misconfigured');
    expect(attempts).toBe(1);
  });
});

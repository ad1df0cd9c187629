import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../../src/observability/index.js';

function recorder() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe('Observability > ProgressLine', () => {
  it('logs at most one line per interval with done, parts and rate', () => {
    const { lines, logger } = recorder();
    let now = 0;
    const progress = new ProgressLine({
      logger,
      message: 'snapshot progress',
      intervalMs: 5_000,
      now: () => now,
    });
    for (let i = 0; i < 100; i++) {
      now += 100;
      progress.add(i < 60 ? 'tenants' : 'flags');
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      msg: 'snapshot progress',
      done: 50,
      parts: { tenants: 50 },
      perSecond: 10,
      elapsedSeconds: 5,
    });
    expect(lines[1]).toMatchObject({ done: 100, parts: { tenants: 60, flags: 40 } });
  });

  it('says how much of a known total is done', () => {
    const { logger } = recorder();
    const progress = new ProgressLine({ logger, message: 'replay', total: 200, now: () => 2_000 });
    progress.add('p0', 50);
    expect(progress.fields()).toMatchObject({ done: 50, total: 200, percent: 25 });
  });

  it('logs nothing for an operation shorter than one interval', () => {
    const { lines, logger } = recorder();
    const progress = new ProgressLine({ logger, message: 'snapshot progress', now: () => 1_000 });
    progress.add('tenants', 10_000);
    expect(lines).toHaveLength(0);
  });
});

import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { KubeApiError } from '../../src/sink/kube/index.js';
import { ApiserverGate, isApiserverUnreachable } from '../../src/sink/runner/apiserver-gate.js';
import { NodeScheduler } from '../../src/sink/runner/node-scheduler.js';

const away = () =>
  new KubeApiError(
    ErrorCode.KUBERNETES,
    'Namespace/x: apply failed, the API server did not answer: connect ECONNREFUSED',
    true,
    { verb: 'apply', subject: { what: 'Namespace/x' } },
  );
const status = (code: number) =>
  new KubeApiError(ErrorCode.KUBERNETES, `HTTP ${code}`, code >= 500, {
    verb: 'apply',
    subject: { what: 'x' },
    status: code,
  });

describe('sink > apiserver gate', () => {
  it('tells an API server that is away from one that answered with an error', () => {
    expect(isApiserverUnreachable(away())).toBe(true);
    expect(isApiserverUnreachable(status(503))).toBe(true);
    expect(isApiserverUnreachable(status(500))).toBe(false);
    expect(isApiserverUnreachable(status(403))).toBe(false);
    expect(isApiserverUnreachable(new Error('ECONNREFUSED'))).toBe(false);
  });

  it('waits out an outage with one probe loop for every failed node, reporting not ready until it answers', async () => {
    const reports: [boolean, string | undefined][] = [];
    let probes = 0;
    let up = false;
    const controller = new AbortController();
    const gate = new ApiserverGate({
      probe: async () => {
        probes += 1;
        if (!up) throw away();
      },
      logger: pino({ level: 'silent' }),
      report: (ready, reason) => reports.push([ready, reason]),
      signal: controller.signal,
      initialMs: 2,
      maxMs: 4,
    });
    const attempts = new Map<string, number>();
    const nodes = new NodeScheduler<number>({
      handle: async (work) => {
        attempts.set(work.nodeId, (attempts.get(work.nodeId) ?? 0) + 1);
        if (!up) throw away();
      },
      retriable: () => true,
      onFailure: () => undefined,
      onFinished: () => undefined,
      retryInitialMs: 1,
      retryMaxMs: 1,
      beforeRetry: (error, signal) => gate.beforeRetry(error, signal),
      signal: controller.signal,
    });
    for (const nodeId of ['a', 'b', 'c']) nodes.submit({ nodeId, payload: 1 });
    while (probes < 5) await new Promise((resolve) => setTimeout(resolve, 1));
    // Every node failed once and waits on the gate instead of retrying on its own.
    expect([...attempts.values()]).toEqual([1, 1, 1]);
    expect(reports[0]).toEqual([false, expect.stringContaining('waiting for the Kubernetes API server: ')]);
    up = true;
    await nodes.idle();
    expect([...attempts.values()]).toEqual([2, 2, 2]);
    expect(reports.at(-1)).toEqual([true, undefined]);
    expect(reports.filter(([ready]) => ready)).toHaveLength(1);
  });

  it('lets a node retry on its own pause when the failure was not an outage', async () => {
    let probes = 0;
    const gate = new ApiserverGate({
      probe: async () => {
        probes += 1;
      },
      logger: pino({ level: 'silent' }),
      report: () => undefined,
      signal: new AbortController().signal,
    });
    await gate.beforeRetry(status(409), new AbortController().signal);
    expect(probes).toBe(0);
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, resource, SinkHarness } from '../../support/sink-harness.js';

// The downstream consumer in examples/audit-consumer decodes the sink's audit
// events with nothing but kafkajs, avsc and the brokers.
describe('examples > audit consumer', () => {
  const harness = new SinkHarness();

  beforeAll(async () => {
    await harness.setUp();
    harness.start();
  });
  afterAll(() => harness.tearDown());

  it('prints each audit event of the sink and counts them by action', async () => {
    const ns = harness.namespace;
    await harness.write([
      node('acme', [
        resource('config', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'acme', namespace: ns },
        }),
      ]),
    ]);
    await harness.untilEvent('acme', 'config', 'created');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'examples/audit-consumer/audit-consumer.ts',
        '--prefix',
        harness.prefix,
        '--brokers',
        harness.env.kafkaBrokers.join(','),
        '--limit',
        '1',
      ],
      { timeout: 60_000 },
    );
    expect(stdout).toMatch(new RegExp(`^web/acme created ConfigMap/${ns}/acme \\d+ ms after COMMIT$`, 'm'));
    expect(stdout).toContain('counts: {"created":1}');
  });
});

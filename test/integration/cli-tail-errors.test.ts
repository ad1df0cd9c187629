import { afterAll, describe, expect, it } from 'vitest';
import { desiredTopic } from '../../src/contracts/index.js';
import type { Row, TableSchema } from '../../src/core/change-event.js';
import { createKafka, KafkaChangeSink } from '../../src/kafka/index.js';
import { writeConfigFile } from '../../support/config-file.js';
import { type DesiredJson, readDesired } from '../../support/desired-records.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// What an operator sees when a row cannot be rendered: `rowkube process` (its
// own process) writes an error record for that node and goes on with the
// others, and `rowkube tail <prefix>.desired` prints it as a JSON line naming
// the error code, the message and the resource and leaf at fault.
//
// The change records are written by KafkaChangeSink, the sink `rowkube
// capture` writes through, so the rows are exactly the values under test
// without a database (capture has its own end-to-end tests).

const env = stackEnv();

interface TailLine {
  topic: string;
  key: string;
  value: DesiredJson | null;
  error?: string;
}

describe('CLI > tail > error records of the desired topic', () => {
  const prefix = uniqueName('rk');
  const source = uniqueName('src');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const processes: RowkubeProcess[] = [];

  const table: TableSchema = {
    source,
    database: 'app',
    table: 'tenants',
    columns: [
      { name: 'tenant_id', kind: 'string', nullable: false, sourceType: 'varchar(64)' },
      { name: 'replicas', kind: 'string', nullable: false, sourceType: 'varchar(16)' },
    ],
    primaryKey: ['tenant_id'],
  };

  function writeConfig(): string {
    const file = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
sources:
  - name: ${source}
    mysql: { url: "${env.mysqlUrl}" }
    tables: [tenants]
hubs:
  - name: tenants
    source: ${source}
    table: tenants
    uid: tenant_id
    values: { replicas: replicas }
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "tenant-{{ uid }}" } }
      - id: app
        dependIds: [ns]
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: app, namespace: "tenant-{{ uid }}" }
          spec: { replicas: "{{ replicas | to_int }}" }
`,
    );
    return file;
  }

  /** One source transaction of row inserts (or updates of rows written before, with `before`). */
  async function writeRows(rows: { before?: Row; after: Row }[], position: number): Promise<void> {
    const sink = await KafkaChangeSink.create({ kafka, prefix, source });
    try {
      for (const { before, after } of rows)
        await sink.append({ op: before ? 'u' : 'c', table, before: before ?? null, after });
      await sink.commit({
        position: { file: 'bin.000001', pos: position, gtid: null },
        commitTsMs: Date.now(),
      });
    } finally {
      await sink.close();
    }
  }

  /** Runs `rowkube tail` to the end of the topic and parses its lines. */
  async function tail(config: string): Promise<TailLine[]> {
    const run = new RowkubeProcess(['tail', desiredTopic(prefix), '--config', config]);
    processes.push(run);
    const code = await run.exited();
    expect(code, run.lastOutput()).toBe(0);
    return run
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TailLine);
  }

  afterAll(async () => {
    for (const run of processes) await run.stop().catch(() => undefined);
  });

  it('prints the code, message, resource and path of a node that failed to render, and the nodes that did', async () => {
    const config = writeConfig();
    await writeRows(
      [
        // "tenant-Bad_Tenant" is no namespace name.
        { after: { tenant_id: 'Bad_Tenant', replicas: '1' } },
        // "many" is no integer for `| to_int`.
        { after: { tenant_id: 'lots', replicas: 'many' } },
        { after: { tenant_id: 'acme', replicas: '2' } },
      ],
      100,
    );
    const processor = new RowkubeProcess(['process', '--config', config]);
    processes.push(processor);
    const waitForRecords = (count: number) =>
      waitFor(`${count} records in ${desiredTopic(prefix)}`, async () => {
        if (processor.exitCode !== null)
          throw new Error(`rowkube process exited with ${processor.exitCode}:\n${processor.lastOutput()}`);
        return (await readDesired(kafka, prefix)).length >= count ? true : undefined;
      });
    await waitForRecords(3);

    let lines = await tail(config);
    expect(lines.map((l) => [l.key, l.value?.error?.code ?? null])).toEqual([
      ['web/Bad_Tenant', 'ROWKUBE_ERR_INVALID_NAME'],
      ['web/lots', 'ROWKUBE_ERR_TEMPLATE'],
      ['web/acme', null],
    ]);
    const [badName, badTemplate, good] = lines.map((l) => l.value);
    expect(lines.every((l) => l.error === undefined && l.topic === desiredTopic(prefix))).toBe(true);

    expect(badName).toMatchObject({
      id: 'web/Bad_Tenant',
      resources: [],
      error: { resourceId: 'ns', path: 'metadata.name' },
      provenance: { source, table: 'tenants', primaryKey: '{"tenant_id":"Bad_Tenant"}' },
    });
    // The message starts with its code, then the resource and leaf, then the offending value.
    expect(badName?.error?.message).toMatch(
      /^ROWKUBE_ERR_INVALID_NAME: form 'web' resource 'ns' at metadata\.name: /,
    );
    expect(badName?.error?.message).toContain('"tenant-Bad_Tenant"');

    expect(badTemplate).toMatchObject({
      id: 'web/lots',
      resources: [],
      error: { resourceId: 'app', path: 'spec.replicas' },
    });
    expect(badTemplate?.error?.message).toMatch(
      /^ROWKUBE_ERR_TEMPLATE: form 'web' resource 'app' at spec\.replicas: /,
    );
    // …and the template with why it failed.
    expect(badTemplate?.error?.message).toContain(
      '"{{ replicas | to_int }}" failed: to_int: "many" is not an integer',
    );

    // The good row of the same transaction rendered in full.
    expect(good?.error).toBeNull();
    expect(good?.resources.map((r) => [r.id, JSON.parse(r.manifest)])).toEqual([
      ['ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-acme' } }],
      [
        'app',
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'app', namespace: 'tenant-acme' },
          spec: { replicas: 2 },
        },
      ],
    ]);

    // Fixing the row replaces the node's error record with a rendered one.
    await writeRows(
      [{ before: { tenant_id: 'lots', replicas: 'many' }, after: { tenant_id: 'lots', replicas: '3' } }],
      200,
    );
    await waitForRecords(4);
    lines = await tail(config);
    expect(lines).toHaveLength(4);
    expect(lines[3]?.key).toBe('web/lots');
    expect(lines[3]?.value?.error).toBeNull();
    expect(JSON.parse(lines[3]?.value?.resources[1]?.manifest ?? '{}').spec).toEqual({ replicas: 3 });
    expect(await processor.stop()).toBe(0);
  });
});

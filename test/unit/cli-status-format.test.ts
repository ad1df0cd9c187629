import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse-args.js';
import {
  errorCell,
  formatAge,
  nodeDetail,
  statusMatches,
  statusTable,
} from '../../src/cli/status/status-format.js';
import type { DecodedAuditEvent } from '../../src/contracts/index.js';
import { nodeStatus } from '../../support/node-statuses.js';

// `rowkube status`: its options and what it prints, apart from Kafka.

const now = 1_700_000_000_000 + 3 * 60_000;

describe('CLI > status > arguments', () => {
  it('reads the list options and one node', () => {
    expect(
      parseArgs(['status', '--config', 'c.yaml', '--form', 'web', '--failed', '-o', 'json', '-w']),
    ).toEqual({
      kind: 'status',
      config: 'c.yaml',
      form: 'web',
      failed: true,
      output: 'json',
      watch: true,
    });
    expect(parseArgs(['status', 'web/acme', '--brokers', 'a:1,b:2', '--prefix', 'rk'])).toEqual({
      kind: 'status',
      node: 'web/acme',
      brokers: ['a:1', 'b:2'],
      prefix: 'rk',
      failed: false,
      output: 'table',
      watch: false,
    });
  });

  it.each([
    [['status'], "'status' needs --config FILE or --brokers"],
    [['status', '-c', 'c', '-o', 'wide'], "-o wants table, json or yaml, got 'wide'"],
    [
      ['status', '-c', 'c', 'acme'],
      "wants a node id <form>/<uid> (as 'rowkube status' lists them), got 'acme'",
    ],
    [
      ['status', '-c', 'c', 'web/a', '--failed'],
      "'status NODE' shows one node: --form and --failed filter the list",
    ],
    [['status', '-c', 'c', 'web/a', 'web/b'], "'status' takes at most 1 argument, got: web/a web/b"],
    [['status', '--brokers', 'a:1', '--prefix', 'a b'], '--prefix wants a topic prefix'],
  ])('refuses %j: %s', (argv, message) => {
    const request = parseArgs(argv);
    expect(request.kind).toBe('error');
    expect((request as { message: string }).message).toContain(message);
  });
});

describe('CLI > status > table', () => {
  it('prints the columns of kubectl get, padded, the error on one line', () => {
    const statuses = [
      nodeStatus('acme'),
      nodeStatus('Bad_Tenant', {
        state: 'Failed',
        objects: [],
        stateSinceMs: BigInt(now - 5_000),
        error: {
          code: 'ROWKUBE_ERR_INVALID_NAME',
          message: "form 'web' resource 'ns' at metadata.name:\n'Bad_Tenant'",
          at: 1n,
        },
      }),
    ];
    expect(statusTable(statuses, now)).toBe(
      [
        'NODE             FORM   STATE    READY   AGE   ERROR',
        'web/acme         web    Ready    1/1     3m',
        "web/Bad_Tenant   web    Failed   0/0     5s    ROWKUBE_ERR_INVALID_NAME: form 'web' resource 'ns' at metadata.name: 'Bad_Tenant'",
        '',
      ].join('\n'),
    );
    expect(statusTable([], now)).toBe('No nodes.\n');
  });

  it('cuts a long error to the width of a terminal', () => {
    const cell = errorCell(
      nodeStatus('a', { error: { code: 'ROWKUBE_ERR_X', message: 'y'.repeat(300), at: 1n } }),
    );
    expect(cell).toHaveLength(100);
    expect(cell.endsWith('…')).toBe(true);
  });

  it.each([
    [0, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3_600_000, '3h'],
    [49 * 3_600_000, '2d1h'],
    [10 * 86_400_000, '10d'],
    [-5, '0s'],
  ])('formats an age of %i ms as %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });

  it('--form and --failed: Failed, Conflict and Skipped nodes of that form', () => {
    const filter = { form: 'web', failed: true };
    expect(statusMatches(nodeStatus('a', { state: 'Conflict' }), filter)).toBe(true);
    expect(statusMatches(nodeStatus('a', { state: 'Skipped' }), filter)).toBe(true);
    expect(statusMatches(nodeStatus('a', { state: 'Progressing' }), filter)).toBe(false);
    expect(statusMatches(nodeStatus('a', { state: 'Failed', form: 'db' }), filter)).toBe(false);
    expect(statusMatches(nodeStatus('a', { state: 'Ready' }), { failed: false })).toBe(true);
  });
});

describe('CLI > status > one node', () => {
  const event = (
    action: string,
    name: string,
    commitTsMs: bigint,
    appliedAtMs: bigint,
  ): DecodedAuditEvent => ({
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    resourceId: 'app',
    object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'tenant-acme', name },
    action,
    reason: action,
    errorCode: null,
    provenance: { source: 'appdb', table: 'tenants', position: `{"pos":${commitTsMs}}`, commitTsMs },
    appliedAtMs,
    latencyMs: appliedAtMs - commitTsMs,
    fieldManager: 'rowkube',
    stages: { capturedAtMs: null, changeSeenAtMs: commitTsMs + 10n, desiredSeenAtMs: commitTsMs + 30n },
  });

  it('shows its state, objects and history grouped by database transaction, with latencies', () => {
    const text = nodeDetail(
      nodeStatus('acme'),
      [
        event('created', 'one', 1_000n, 1_100n),
        event('created', 'two', 1_000n, 1_120n),
        event('configured', 'one', 5_000n, 5_050n),
      ],
      now,
    );
    expect(text).toContain('State:     Ready for 3m (since 2023-11-14T22:13:20.000Z)');
    expect(text).toContain('Ready:     1/1 objects');
    expect(text).toMatch(
      /RESOURCE\s+KIND\s+NAMESPACE\s+NAME\s+LAST ACTION\s+READY\n\s+app\s+Deployment\.apps\/v1\s+tenant-acme\s+acme-app\s+created\s+yes/,
    );
    const history = text.slice(text.indexOf('History:'));
    expect(history.match(/transaction at/g)).toHaveLength(2);
    expect(history).toContain(
      'appdb.tenants transaction at {"pos":1000}, committed 1970-01-01T00:00:01.000Z',
    );
    expect(history).toMatch(/created\s+ConfigMap\/tenant-acme\/two\s+120ms\s+10\+20\+90/);
  });
});

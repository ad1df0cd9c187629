import { describe, expect, it } from 'vitest';
import type { DecodedAuditEvent, NodeState, NodeStatus } from '../../src/contracts/index.js';
import { filterNodes, parseNodeFilter, summarizeByHub } from '../../src/observability/ui/node-filter.js';
import { historyTransactions } from '../../src/observability/ui/node-history-view.js';

function node(nodeId: string, state: NodeState, extra: Partial<NodeStatus> = {}): NodeStatus {
  const [form = '', uid = ''] = nodeId.split('/');
  return {
    nodeId,
    hub: form === 'db' ? 'databases' : 'tenants',
    form,
    state,
    stateSinceMs: 1n,
    updatedAtMs: 2n,
    objects: [],
    source: 'appdb',
    table: 'tenants',
    position: null,
    commitTsMs: null,
    contentHash: `hash-${uid}`,
    error: null,
    ...extra,
  };
}

const nodes = [
  node('web/acme', 'Ready'),
  node('web/globex', 'Progressing'),
  node('web/Bad_Tenant', 'Failed', {
    error: {
      code: 'ROWKUBE_ERR_INVALID_NAME',
      message: 'metadata.name "Bad_Tenant" is not a DNS label',
      at: 3n,
    },
  }),
  node('worker/acme', 'Ready'),
  node('db/acme', 'Conflict'),
];

describe('Observability > dashboard > node filters', () => {
  it('reads state, form, hub and text from the query; empty parameters filter nothing', () => {
    expect(parseNodeFilter(new URLSearchParams('state=Failed&form=web&hub=tenants&q=%20acme%20'))).toEqual({
      state: 'Failed',
      form: 'web',
      hub: 'tenants',
      text: 'acme',
    });
    expect(parseNodeFilter(new URLSearchParams('state=&form=&q='))).toEqual({});
  });

  it('refuses a state it does not know, naming the parameter and the states', () => {
    expect(() => parseNodeFilter(new URLSearchParams('state=ready'))).toThrow(
      'the query parameter state="ready" is not a node state; use one of Progressing, Ready, Failed, Conflict, Skipped, Deleted',
    );
  });

  it('keeps the nodes that match every filter given', () => {
    const ids = (filter: Parameters<typeof filterNodes>[1]) =>
      filterNodes(nodes, filter).map((n) => n.nodeId);
    expect(ids({})).toHaveLength(5);
    expect(ids({ state: 'Ready' })).toEqual(['web/acme', 'worker/acme']);
    expect(ids({ form: 'web' })).toEqual(['web/acme', 'web/globex', 'web/Bad_Tenant']);
    expect(ids({ hub: 'databases' })).toEqual(['db/acme']);
    expect(ids({ state: 'Ready', form: 'web' })).toEqual(['web/acme']);
    // Text: any part of the id, case-insensitive, or the error's code or message.
    expect(ids({ text: 'ACME' })).toEqual(['web/acme', 'worker/acme', 'db/acme']);
    expect(ids({ text: 'invalid_name' })).toEqual(['web/Bad_Tenant']);
    expect(ids({ text: 'dns label' })).toEqual(['web/Bad_Tenant']);
    expect(ids({ text: 'acme', state: 'Failed' })).toEqual([]);
  });

  it('counts nodes by hub and form and state, sorted by name', () => {
    const summary = summarizeByHub(nodes);
    expect(summary.map((hub) => [hub.hub, hub.total, hub.forms.map((form) => form.form)])).toEqual([
      ['databases', 1, ['db']],
      ['tenants', 4, ['web', 'worker']],
    ]);
    const web = summary[1]?.forms[0];
    expect(web).toEqual({
      form: 'web',
      total: 3,
      states: { Progressing: 1, Ready: 1, Failed: 1, Conflict: 0, Skipped: 0, Deleted: 0 },
    });
    expect(summary[1]?.states.Ready).toBe(2);
    expect(summarizeByHub([])).toEqual([]);
  });
});

describe('Observability > dashboard > node history', () => {
  const provenance = (position: string, commitTsMs: bigint) => ({
    source: 'appdb',
    table: 'tenants',
    position,
    commitTsMs,
  });
  const event = (
    action: string,
    kind: string | null,
    appliedAtMs: bigint,
    prov: DecodedAuditEvent['provenance'],
  ): DecodedAuditEvent => ({
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    resourceId: kind === null ? null : kind.toLowerCase(),
    object:
      kind === null
        ? null
        : {
            apiVersion: 'v1',
            kind,
            namespace: kind === 'Namespace' ? null : 'acme',
            name: kind === 'Namespace' ? 'acme' : 'settings',
          },
    action,
    reason: action === 'failed' ? 'the apiserver refused it' : '',
    errorCode: action === 'failed' ? 'ROWKUBE_ERR_KUBERNETES_INVALID' : null,
    provenance: prov,
    appliedAtMs,
    latencyMs: prov.commitTsMs === null ? null : appliedAtMs - prov.commitTsMs,
    fieldManager: 'rowkube',
  });

  it('groups events of one row version into its transaction: the commit, then each action with its latency', () => {
    const first = provenance('{"gtid":"0-1-10"}', 1_000n);
    const second = provenance('{"gtid":"0-1-12"}', 5_000n);
    const transactions = historyTransactions([
      event('created', 'Namespace', 1_040n, first),
      event('created', 'ConfigMap', 1_055n, first),
      event('configured', 'ConfigMap', 5_020n, second),
      event('failed', 'ConfigMap', 5_030n, second),
      event('deleted', null, 9_000n, { source: 'appdb', table: 'tenants', position: null, commitTsMs: null }),
    ]);
    expect(transactions.map((tx) => [tx.position, tx.commitTsMs, tx.actions.length])).toEqual([
      ['{"gtid":"0-1-10"}', 1_000, 2],
      ['{"gtid":"0-1-12"}', 5_000, 2],
      [null, null, 1],
    ]);
    expect(transactions[0]?.actions).toEqual([
      {
        appliedAtMs: 1_040,
        action: 'created',
        object: 'Namespace acme',
        resourceId: 'namespace',
        reason: '',
        errorCode: null,
        latencyMs: 40,
      },
      {
        appliedAtMs: 1_055,
        action: 'created',
        object: 'ConfigMap acme/settings',
        resourceId: 'configmap',
        reason: '',
        errorCode: null,
        latencyMs: 55,
      },
    ]);
    expect(transactions[1]?.actions[1]).toMatchObject({
      action: 'failed',
      errorCode: 'ROWKUBE_ERR_KUBERNETES_INVALID',
      latencyMs: 30,
    });
    expect(transactions[2]?.actions[0]).toMatchObject({ object: null, latencyMs: null });
  });
});

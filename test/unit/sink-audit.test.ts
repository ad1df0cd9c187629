import { describe, expect, it } from 'vitest';
import {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEvent,
  commitLatencyMs,
} from '../../src/contracts/index.js';
import {
  AUDIT_KEY_SCHEMA,
  AUDIT_VALUE_SCHEMA,
  decodeAudit,
  encodeAudit,
  KEY_SCHEMA_HEADER,
  SchemaCodec,
  VALUE_SCHEMA_HEADER,
} from '../../src/kafka/index.js';

const provenance = {
  source: 'appdb',
  table: 'tenants',
  position: '{"file":"bin.000001","pos":42}',
  commitTsMs: 1_700_000_000_000n,
};

function event(action: AuditAction): AuditEvent {
  const appliedAtMs = 1_700_000_000_250n;
  return {
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    resourceId: 'app',
    object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tenant-acme', name: 'acme-app' },
    action,
    reason: `reason for ${action}`,
    errorCode: action === 'failed' ? 'ROWKUBE_ERR_KUBERNETES_INVALID' : null,
    provenance,
    appliedAtMs,
    latencyMs: commitLatencyMs(provenance, appliedAtMs),
    fieldManager: 'rowkube',
    stages: {
      capturedAtMs: 1_700_000_000_040n,
      changeSeenAtMs: 1_700_000_000_090n,
      desiredSeenAtMs: null,
    },
    // A single cluster: no name (kubernetes.clusters names them).
    cluster: null,
  };
}

// A consumer knows nothing but the schema text it finds in `<prefix>._schemas`.
const keyCodec = SchemaCodec.fromText(AUDIT_KEY_SCHEMA.text);
const valueCodec = SchemaCodec.fromText(AUDIT_VALUE_SCHEMA.text);

describe('sink > audit > codec', () => {
  it.each(AUDIT_ACTIONS)('round-trips a %s event: key = node id, value = the event', (action) => {
    const original = event(action);
    const { message, schemas } = encodeAudit('rk.audit', original);
    expect(message.topic).toBe('rk.audit');
    expect(schemas).toEqual([AUDIT_KEY_SCHEMA, AUDIT_VALUE_SCHEMA]);
    expect(message.headers).toEqual({
      [KEY_SCHEMA_HEADER]: AUDIT_KEY_SCHEMA.id,
      [VALUE_SCHEMA_HEADER]: AUDIT_VALUE_SCHEMA.id,
    });
    expect(keyCodec.decode(message.key)).toBe('web/acme');
    expect(valueCodec.decode(message.value as Buffer)).toEqual(original);
    expect(decodeAudit(message.value as Buffer)).toEqual(original);
  });

  it('round-trips a node-level event: no resource, no object, no commit time', () => {
    const original: AuditEvent = {
      ...event('failed'),
      resourceId: null,
      object: null,
      errorCode: 'ROWKUBE_ERR_TEMPLATE',
      provenance: { source: 'appdb', table: 'tenants', position: null, commitTsMs: null },
      latencyMs: null,
      stages: null,
    };
    const { message } = encodeAudit('rk.audit', original);
    expect(decodeAudit(message.value as Buffer)).toEqual(original);
  });

  it('decodes an event written without stage times (an older writer) with stages null', () => {
    const { stages: _stages, ...older } = event('configured');
    const { message } = encodeAudit('rk.audit', older);
    expect(decodeAudit(message.value as Buffer)).toEqual({ ...older, stages: null });
  });

  it('decodes an event written without a cluster (a single cluster, an older writer) with cluster null', () => {
    const { cluster: _cluster, ...older } = event('configured');
    const { message } = encodeAudit('rk.audit', older);
    expect(decodeAudit(message.value as Buffer)).toEqual({ ...older, cluster: null });
  });

  it('round-trips the cluster of an event on one of several clusters', () => {
    const original: AuditEvent = { ...event('deleted'), cluster: 'eu-2' };
    const { message } = encodeAudit('rk.audit', original);
    expect(decodeAudit(message.value as Buffer)).toEqual(original);
  });

  it('keeps a cluster-scoped object without namespace, and longs beyond 2^53 exact', () => {
    const original: AuditEvent = {
      ...event('created'),
      object: { apiVersion: 'v1', kind: 'Namespace', namespace: null, name: 'tenant-acme' },
      appliedAtMs: 2n ** 60n,
    };
    const { message } = encodeAudit('rk.audit', original);
    expect(decodeAudit(message.value as Buffer)).toEqual(original);
  });

  it('refuses an action that is not in AUDIT_ACTIONS', () => {
    const misspelt = { ...event('created'), action: 'timedout' } as unknown as AuditEvent;
    expect(() => encodeAudit('rk.audit', misspelt)).toThrow(
      /'timedout' is not an audit action \(node web\/acme\)/,
    );
  });

  it('computes latency from the commit time, and none without one', () => {
    expect(commitLatencyMs(provenance, 1_700_000_001_000n)).toBe(1000n);
    expect(commitLatencyMs({ ...provenance, commitTsMs: null }, 1_700_000_001_000n)).toBeNull();
  });
});

describe('sink > audit > schema', () => {
  const schema = JSON.parse(AUDIT_VALUE_SCHEMA.text) as {
    name: string;
    namespace: string;
    fields: { name: string; doc?: string }[];
  };

  it('is rowkube.audit.AuditEvent, and its key is a plain Avro string', () => {
    expect(`${schema.namespace}.${schema.name}`).toBe('rowkube.audit.AuditEvent');
    expect(JSON.parse(AUDIT_KEY_SCHEMA.text)).toBe('string');
  });

  it('documents every action the code can write', () => {
    const doc = schema.fields.find((f) => f.name === 'action')?.doc ?? '';
    for (const action of AUDIT_ACTIONS) expect(doc).toMatch(new RegExp(`\\b${action}\\b`));
  });
});

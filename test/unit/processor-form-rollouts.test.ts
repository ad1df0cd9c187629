import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  decodeControl,
  type FormRecord,
  formVersion,
  type NodeStatus,
  rolloutKey,
} from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { Materializer, type TableChange } from '../../src/processor/materializer/index.js';
import { FormRollouts } from '../../src/processor/rollout/form-rollouts.js';
import type { ControlEntry } from '../../src/processor/runner/deletion-hold.js';
import type { HoldOutput } from '../../src/processor/runner/hold-records.js';
import { configFrom } from '../../support/config-file.js';
import { nodeStatus } from '../../support/node-statuses.js';

// FormRollouts over a real Materializer, without Kafka: the control topic is
// a list of entries, the desired topic a map, the sink's reports a map.

function configWith(image: string, rollout: object | undefined): RowkubeConfig {
  return configFrom({
    kafka: { brokers: ['127.0.0.1:9092'] },
    sources: [{ name: 'appdb', mysql: { url: 'mysql://u:p@h/app' }, tables: ['tenants'] }],
    hubs: [{ name: 'tenants', source: 'appdb', table: 'tenants', uid: 'id', values: { plan: 'plan' } }],
    forms: [
      {
        name: 'web',
        hub: 'tenants',
        ...(rollout === undefined ? {} : { rollout }),
        resources: [
          {
            id: 'cm',
            manifest: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'c-{{ uid }}', namespace: 'default' },
              data: { image, plan: '{{ plan }}' },
            },
          },
        ],
      },
    ],
  });
}

const row = (id: string, plan = 'gold'): TableChange => ({
  source: 'appdb',
  table: 'tenants',
  key: id,
  op: 'c',
  before: null,
  after: { id, plan },
  unchanged: [],
});

const IDS = ['a', 'b', 'c', 'd', 'e'];

/** One processor run: a materializer over the rows, the rollouts, and what it committed. */
class Run {
  readonly materializer: Materializer;
  readonly rollouts: FormRollouts;
  readonly statuses = new Map<string, NodeStatus>();

  constructor(
    readonly config: RowkubeConfig,
    readonly control: ControlEntry[],
    readonly desired: Map<string, { hash: string; version: string | null }>,
  ) {
    this.materializer = new Materializer(config);
    this.rollouts = new FormRollouts({
      config,
      materializer: this.materializer,
      logger: pino({ level: 'silent' }),
      controlTopic: 'rk._control',
      auditTopic: 'rk.audit',
      statusOf: (id) => this.statuses.get(id),
      now: () => 1000,
    });
    this.materializer.setFormResolver(this.rollouts.formFor);
  }

  /** A take-over: rows back, what desired holds seeded, rollouts restored, reconcile committed. */
  takeOver(rows: TableChange[]): string[] {
    for (const change of rows) this.materializer.restoreHubRow(change);
    this.materializer.seedProduced(new Map([...this.desired].map(([id, r]) => [id, r.hash])));
    const versions = new Map([...this.desired].map(([id, r]) => [id, r.version]));
    const out = this.rollouts.restore(this.control, versions);
    const reconciled = this.materializer.reconcile().map((update) => ({ update, provenance: provenance() }));
    out.produced.push(...reconciled);
    return this.commit(out);
  }

  /** Commits: desired records, control records (offsets in order), audit actions returned. */
  commit(out: HoldOutput): string[] {
    for (const { update } of out.produced)
      this.desired.set(update.id, { hash: update.hash, version: update.formVersion ?? null });
    this.rollouts.noteProduced(out.produced);
    const actions: string[] = [];
    for (const record of out.records) {
      if (record.topic === 'rk._control') {
        const value = record.value === null ? null : String(record.value);
        this.control.push({ key: String(record.key), value, offset: BigInt(this.control.length) });
      } else actions.push(record.topic);
    }
    return out.produced.map((p) => p.update.id);
  }

  step(): string[] {
    return this.commit(this.rollouts.step());
  }

  /** The sink reports every node's current record with this state. */
  report(state: NodeStatus['state'], ids = [...this.desired.keys()]): void {
    for (const id of ids) {
      const record = this.desired.get(id);
      if (record === undefined) continue;
      this.statuses.set(id, nodeStatus(id.slice(4), { state, contentHash: record.hash, nodeId: id }));
    }
  }

  record(): FormRecord {
    const entry = [...this.control].reverse().find((e) => e.key === 'form/web');
    return decodeControl('form/web', entry?.value ?? '') as FormRecord;
  }

  request(action: 'resume' | 'abort'): string[] {
    const entry: ControlEntry = {
      key: rolloutKey('web'),
      value: JSON.stringify({ kind: 'rollout-request', form: 'web', action, requestedAtMs: 1 }),
      offset: BigInt(this.control.length),
    };
    this.control.push(entry);
    const out = this.rollouts.onControl(entry);
    return out === undefined ? [] : this.commit(out);
  }
}

function provenance() {
  return { source: 'appdb', table: 'tenants', position: null, commitTsMs: null, primaryKey: '' };
}

describe('processor > FormRollouts', () => {
  const v1 = configWith('app:1', { maxInProgress: 2, failureThreshold: 1 });
  const v2 = configWith('app:2', { maxInProgress: 2, failureThreshold: 1 });
  const V1 = formVersion(v1.forms[0] as RowkubeConfig['forms'][number]);
  const V2 = formVersion(v2.forms[0] as RowkubeConfig['forms'][number]);

  function startOnV1(): {
    control: ControlEntry[];
    desired: Map<string, { hash: string; version: string | null }>;
  } {
    const control: ControlEntry[] = [];
    const desired = new Map<string, { hash: string; version: string | null }>();
    const first = new Run(v1, control, desired);
    expect(first.takeOver(IDS.map((id) => row(id)))).toHaveLength(5);
    expect(first.record()).toMatchObject({ state: 'complete', current: { version: V1 }, previous: null });
    return { control, desired };
  }

  it('changes nothing at the restart with a new version, then admits maxInProgress nodes at a time', () => {
    const { control, desired } = startOnV1();
    const run = new Run(v2, control, desired);
    expect(run.takeOver(IDS.map((id) => row(id)))).toEqual([]);
    expect(run.record()).toMatchObject({
      state: 'rolling',
      current: { version: V2 },
      previous: { version: V1 },
    });
    run.report('Ready');
    expect(run.step()).toEqual(['web/a', 'web/b']);
    expect(desired.get('web/a')?.version).toBe(V2);
    // Both in progress: no slot.
    expect(run.step()).toEqual([]);
    run.report('Ready', ['web/a']);
    expect(run.step()).toEqual(['web/c']);
    run.report('Ready');
    expect(run.step()).toEqual(['web/d', 'web/e']);
    run.report('Ready');
    expect(run.step()).toEqual([]);
    expect(run.record().state).toBe('complete');
  });

  it('renders a row change at once, with the version of its node; a new node with the new one', () => {
    const { control, desired } = startOnV1();
    const run = new Run(v2, control, desired);
    run.takeOver(IDS.map((id) => row(id)));
    run.report('Ready');
    run.step();
    const updates = run.materializer.apply(row('e', 'silver'), 'hub');
    expect(updates.map((u) => [u.id, u.formVersion])).toEqual([['web/e', V1]]);
    const admittedUpdate = run.materializer.apply(row('a', 'silver'), 'hub');
    expect(admittedUpdate.map((u) => [u.id, u.formVersion])).toEqual([['web/a', V2]]);
    run.commit({
      produced: [...updates, ...admittedUpdate].map((update) => ({ update, provenance: provenance() })),
      records: [],
      schemas: [],
    });
    const fresh = run.materializer.apply(row('z'), 'hub');
    expect(fresh.map((u) => [u.id, u.formVersion])).toEqual([['web/z', V2]]);
  });

  it('pauses at failureThreshold, resumes on request, and an abort sends the changed nodes back', () => {
    const { control, desired } = startOnV1();
    const run = new Run(v2, control, desired);
    run.takeOver(IDS.map((id) => row(id)));
    run.report('Ready');
    expect(run.step()).toEqual(['web/a', 'web/b']);
    run.report('Failed', ['web/a']);
    expect(run.step()).toEqual([]);
    expect(run.record()).toMatchObject({ state: 'paused', failures: 1 });
    expect(run.record().reason).toMatch(/1 node\(s\) failed on version/);
    // Paused survives a restart, and admits nothing.
    const again = new Run(v2, control, desired);
    expect(again.takeOver(IDS.map((id) => row(id)))).toEqual([]);
    again.report('Ready', ['web/b', 'web/c', 'web/d', 'web/e']);
    again.report('Failed', ['web/a']);
    expect(again.step()).toEqual([]);
    again.request('resume');
    expect(again.record()).toMatchObject({ state: 'rolling', failures: 0 });
    // The old failure is not counted again, and frees its slot (a failed, b ready): c and d are admitted.
    expect(again.step()).toEqual(['web/c', 'web/d']);
    expect(again.request('abort').sort()).toEqual(['web/a', 'web/b', 'web/c', 'web/d']);
    for (const id of IDS) expect(desired.get(`web/${id}`)?.version).toBe(V1);
    expect(again.record().state).toBe('aborted');
    // Aborted: new rows use the previous version too, also after a restart.
    const fresh = again.materializer.apply(row('y'), 'hub');
    expect(fresh.map((u) => u.formVersion)).toEqual([V1]);
    again.commit({
      produced: fresh.map((update) => ({ update, provenance: provenance() })),
      records: [],
      schemas: [],
    });
    const later = new Run(v2, control, desired);
    expect(later.takeOver([...IDS, 'y'].map((id) => row(id)))).toEqual([]);
    // A request already carried out is not carried out twice.
    expect(later.record().state).toBe('aborted');
  });

  it('counts a failure that comes after a restart, not those already counted before it', () => {
    const { control, desired } = startOnV1();
    const tolerant = configWith('app:2', { maxInProgress: 2, failureThreshold: 2 });
    const run = new Run(tolerant, control, desired);
    run.takeOver(IDS.map((id) => row(id)));
    run.report('Ready');
    expect(run.step()).toEqual(['web/a', 'web/b']);
    run.report('Failed', ['web/a']);
    run.step();
    expect(run.record()).toMatchObject({ state: 'rolling', failures: 1 });
    // Restarted with a still in progress: its failure later is the second one.
    const again = new Run(tolerant, control, desired);
    again.takeOver(IDS.map((id) => row(id)));
    again.report('Ready', ['web/c', 'web/d', 'web/e']);
    again.report('Failed', ['web/a']);
    again.step();
    expect(again.record()).toMatchObject({ state: 'rolling', failures: 1 });
    again.report('Failed', ['web/b']);
    again.step();
    expect(again.record()).toMatchObject({ state: 'paused', failures: 2 });
  });

  it('starts paused with pause: true, and a form without rollout changes every node at once', () => {
    const { control, desired } = startOnV1();
    const paused = new Run(configWith('app:2', { maxInProgress: 2, pause: true }), control, desired);
    paused.takeOver(IDS.map((id) => row(id)));
    paused.report('Ready');
    expect(paused.step()).toEqual([]);
    expect(paused.record().state).toBe('paused');
    const other = startOnV1();
    const all = new Run(configWith('app:2', undefined), other.control, other.desired);
    expect(all.takeOver(IDS.map((id) => row(id)))).toHaveLength(5);
    expect(all.record()).toMatchObject({ state: 'complete', previous: { version: V1 } });
  });
});

describe('processor > FormRollouts > configuration', () => {
  it('refuses a rollout without the status the sink reports, naming the setting', () => {
    const document = {
      kafka: { brokers: ['127.0.0.1:9092'] },
      sink: { status: false },
      sources: [{ name: 'appdb', mysql: { url: 'mysql://u:p@h/app' }, tables: ['tenants'] }],
      hubs: [{ name: 'tenants', source: 'appdb', table: 'tenants', uid: 'id' }],
      forms: [
        {
          name: 'web',
          hub: 'tenants',
          rollout: { maxInProgress: 10 },
          resources: [
            { id: 'ns', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } } },
          ],
        },
      ],
    };
    expect(() => configFrom(document)).toThrow(/forms\[0\]\.rollout: .*set sink\.status to true/s);
  });
});

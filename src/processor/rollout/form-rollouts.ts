import type { Logger } from 'pino';
import {
  type AuditAction,
  decodeControl,
  type FormRecord,
  formKey,
  formVersion,
  type NodeStatus,
  type PipelineMetrics,
  type Provenance,
  type RolloutState,
} from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import type { FormConfig, RolloutConfig } from '../../core/config/form-schema.js';
import type { Materializer, NodeRef, NodeUpdate } from '../materializer/index.js';
import type { ControlEntry } from '../runner/deletion-hold.js';
import type { ProducedUpdate } from '../runner/desired-output.js';
import { emptyOutput, type HoldOutput } from '../runner/hold-records.js';
import { decideRollout, failureKey, phaseOf, type RolloutNode } from './rollout-admission.js';
import { definitionOf, formRecordOut, recorded, rolloutAudit } from './rollout-records.js';

// The processor's side of progressive rollouts (docs/rollout.md); the
// decision itself is rollout-admission.ts. A form's versions and its
// rollout's state live in `<prefix>._control` (key `form/<name>`), so a
// restart continues where the last run stood. While a rollout runs, each node
// is rendered with the definition of the version it is on (the materializer
// asks formFor), until admitted: then with the new one. Admission follows
// what the sink reports on `<prefix>.status`. Everything here returns the
// records to commit; the caller commits them in one transaction.
//
// The state is this instance's: with several processor instances, each
// admits up to maxInProgress of the nodes it renders, and a pause or an abort
// written by one is followed by the others at their next take-over.

export interface FormRolloutsOptions {
  config: RowkubeConfig;
  materializer: Materializer;
  logger: Logger;
  metrics?: PipelineMetrics;
  controlTopic: string;
  auditTopic: string;
  /** A node's last status as the sink reported it; undefined when none. */
  statusOf: (id: string) => NodeStatus | undefined;
  now?: () => number;
}

interface FormRollout {
  form: FormConfig;
  settings: RolloutConfig | undefined;
  record: FormRecord;
  /** The definition of record.previous (what nodes not yet admitted render with). */
  previous: FormConfig | undefined;
  /** Failures already counted (failureKey). */
  counted: Set<string>;
  /** False until the first step after a take-over took the failures already there as counted. */
  seeded: boolean;
  /** The state last reported to metrics, for a form that no longer steps. */
  reported?: RolloutState;
}

export class FormRollouts {
  private readonly forms = new Map<string, FormRollout>();
  /** Node id → form version of its last desired record (null: none named). */
  private versions = new Map<string, string | null>();
  /** Nodes admitted by this run: they render with the new version even before their record says so. */
  private readonly admitted = new Set<string>();
  /** Control records below this offset were read by the last take-over; undefined before the first one. */
  private controlEnd: bigint | undefined;
  private readonly early: ControlEntry[] = [];
  private readonly now: () => number;

  constructor(private readonly options: FormRolloutsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether any form has a rollout that still admits or waits (for the caller's status follower). */
  get active(): boolean {
    for (const rollout of this.forms.values())
      if (rollout.record.state === 'rolling' || rollout.record.state === 'paused') return true;
    return false;
  }

  /**
   * The definition a node renders with: undefined (the configured one) unless
   * its form rolls out and the node is not admitted (the previous one), or the
   * rollout was aborted (the previous one for every node, new ones included).
   */
  readonly formFor = (ref: NodeRef): FormConfig | undefined => {
    const rollout = this.forms.get(ref.form);
    if (rollout?.previous === undefined) return undefined;
    const { state } = rollout.record;
    if (state === 'aborted') return rollout.previous;
    if (state === 'complete') return undefined;
    if (this.admitted.has(ref.id) || !this.versions.has(ref.id)) return undefined;
    return this.versions.get(ref.id) === rollout.record.current.version ? undefined : rollout.previous;
  };

  /** What the desired topic now holds for these nodes (called with every commit). */
  noteProduced(produced: readonly ProducedUpdate[]): void {
    for (const { update } of produced) {
      if (update.result.kind === 'absent') {
        this.versions.delete(update.id);
        this.admitted.delete(update.id);
      } else {
        this.versions.set(update.id, update.formVersion ?? null);
      }
    }
  }

  /**
   * At a take-over: reads each form's record from the control entries (read
   * whole), starts a rollout where the configured version differs from the
   * recorded one, and carries out requests made while no processor ran.
   * `versions`: what the desired topic holds (produced-hashes.ts).
   */
  restore(entries: readonly ControlEntry[], versions: Map<string, string | null>): HoldOutput {
    const out = emptyOutput();
    this.versions = versions;
    this.admitted.clear();
    this.forms.clear();
    const latest = new Map<string, ControlEntry>();
    let end = -1n;
    for (const entry of entries) {
      latest.set(entry.key, entry);
      if (entry.offset > end) end = entry.offset;
    }
    this.controlEnd = end + 1n;
    for (const form of this.options.config.forms) {
      const entry = latest.get(formKey(form.name));
      const record = entry?.value == null ? undefined : decodeControl(entry.key, entry.value);
      this.restoreForm(out, form, record?.kind === 'form' ? record : undefined, end);
    }
    const requests = [...entries, ...this.early.splice(0)].filter((entry) =>
      entry.key.startsWith('rollout/'),
    );
    for (const entry of requests) this.request(out, entry);
    return out;
  }

  /** A control record met while following the topic: a resume or abort request. */
  onControl(entry: ControlEntry): HoldOutput | undefined {
    if (!entry.key.startsWith('rollout/') || entry.value === null) return undefined;
    if (this.controlEnd === undefined) {
      this.early.push(entry);
      return undefined;
    }
    if (entry.offset < this.controlEnd) return undefined;
    const out = emptyOutput();
    this.request(out, entry);
    return out;
  }

  /**
   * One admission step over every rolling or paused form: counts the nodes
   * by phase from the sink's reports, pauses or completes, and renders the
   * nodes admitted now with the new version.
   */
  step(): HoldOutput {
    const out = emptyOutput();
    for (const rollout of this.forms.values()) {
      const { record, settings } = rollout;
      if (record.state !== 'rolling' && record.state !== 'paused') {
        if (rollout.reported !== record.state)
          this.options.metrics?.formRollout?.(rollout.form.name, record.state, {});
        rollout.reported = record.state;
        continue;
      }
      const nodes = this.nodesOf(rollout.form);
      // Failures there at a take-over were counted by the run that saw them
      // (the record has the count): the first step, with the sink's reports
      // read, takes them as counted.
      if (!rollout.seeded) {
        for (const node of nodes)
          if (phaseOf(node, record.current.version) === 'failed') rollout.counted.add(failureKey(node));
        rollout.seeded = true;
      }
      const decision = decideRollout({
        state: record.state,
        failures: record.failures,
        to: record.current.version,
        maxInProgress: settings?.maxInProgress ?? Number.MAX_SAFE_INTEGER,
        failureThreshold: settings?.failureThreshold ?? Number.MAX_SAFE_INTEGER,
        nodes,
        counted: rollout.counted,
      });
      for (const key of decision.newlyFailed) rollout.counted.add(key);
      this.options.metrics?.formRollout?.(rollout.form.name, decision.state, decision.counts);
      rollout.reported = decision.state;
      if (decision.state !== record.state) {
        const action: AuditAction = decision.state === 'paused' ? 'rollout_paused' : 'rollout_complete';
        this.transition(out, rollout, decision.state, decision.reason ?? '', action, decision.failures);
      } else if (decision.failures !== record.failures) {
        rollout.record = { ...record, failures: decision.failures };
        formRecordOut(out, this.options.controlTopic, rollout.record);
      }
      if (decision.admit.length > 0) this.admit(out, rollout, decision.admit);
    }
    return out;
  }

  private restoreForm(out: HoldOutput, form: FormConfig, found: FormRecord | undefined, end: bigint): void {
    const version = formVersion(form);
    const nowMs = this.now();
    if (found !== undefined && found.current.version === version) {
      this.keep(form, found);
      return;
    }
    // Nodes are on the recorded current version, or (after an abort) on the previous one.
    const from = found === undefined ? null : found.state === 'aborted' ? found.previous : found.current;
    const rolls = form.rollout !== undefined && from !== null && from.version !== version;
    const pause = rolls && form.rollout?.pause === true;
    const record: FormRecord = {
      kind: 'form',
      form: form.name,
      current: recorded(version, form),
      previous: from,
      state: !rolls ? 'complete' : pause ? 'paused' : 'rolling',
      failures: 0,
      sinceMs: nowMs,
      reason: !rolls
        ? from === null
          ? `version ${version} recorded`
          : `version ${version} applied to every node at once (the form has no rollout)`
        : `form version ${from.version} → ${version}${pause ? " (pause: true: waiting for 'rowkube rollout resume')" : ''}`,
      handledRequest: end.toString(),
    };
    formRecordOut(out, this.options.controlTopic, record);
    this.keep(form, record);
    if (!rolls) return;
    this.audit(out, form, 'rollout_started', record.reason);
    if (pause) this.audit(out, form, 'rollout_paused', 'pause: true');
    this.options.logger.info(
      { form: form.name, from: from.version, to: version, pause },
      'form rollout started',
    );
  }

  private keep(form: FormConfig, record: FormRecord): void {
    const previous = definitionOf(record.previous);
    // A previous definition of another hub cannot render this form's nodes: the change applies at once.
    const usable = previous !== undefined && previous.hub === form.hub ? previous : undefined;
    this.forms.set(form.name, {
      form,
      settings: form.rollout,
      record,
      previous: usable,
      counted: new Set(),
      seeded: false,
    });
  }

  private request(out: HoldOutput, entry: ControlEntry): void {
    if (entry.value === null) return;
    const request = decodeControl(entry.key, entry.value);
    if (request.kind !== 'rollout-request') return;
    const rollout = this.forms.get(request.form);
    if (rollout === undefined || entry.offset <= BigInt(rollout.record.handledRequest)) return;
    const handled = entry.offset.toString();
    const { state } = rollout.record;
    if (request.action === 'resume' && state === 'paused') {
      rollout.record = { ...rollout.record, handledRequest: handled };
      this.transition(out, rollout, 'rolling', "resumed by 'rowkube rollout resume'", 'rollout_resumed', 0);
    } else if (request.action === 'abort' && (state === 'rolling' || state === 'paused')) {
      rollout.record = { ...rollout.record, handledRequest: handled };
      this.transition(
        out,
        rollout,
        'aborted',
        `aborted by 'rowkube rollout abort': nodes go back to version ${rollout.record.previous?.version}`,
        'rollout_aborted',
        rollout.record.failures,
      );
      const changed = this.nodesOf(rollout.form)
        .filter((node) => node.version === rollout.record.current.version)
        .map((node) => node.id);
      for (const id of changed) this.admitted.delete(id);
      this.produce(out, this.options.materializer.rerender(changed));
    } else {
      // Nothing to do (resume of a rolling one, abort of a finished one): handled all the same.
      rollout.record = { ...rollout.record, handledRequest: handled };
      formRecordOut(out, this.options.controlTopic, rollout.record);
    }
  }

  private transition(
    out: HoldOutput,
    rollout: FormRollout,
    state: RolloutState,
    reason: string,
    action: AuditAction,
    failures: number,
  ): void {
    rollout.record = { ...rollout.record, state, reason, failures, sinceMs: this.now() };
    formRecordOut(out, this.options.controlTopic, rollout.record);
    this.audit(out, rollout.form, action, reason);
    this.options.logger.info({ form: rollout.form.name, state, reason }, `form rollout ${state}`);
  }

  private admit(out: HoldOutput, rollout: FormRollout, ids: readonly string[]): void {
    for (const id of ids) this.admitted.add(id);
    const updates = this.options.materializer.rerender(ids);
    this.produce(out, updates);
    // A node the new version renders the same is on it without a new record.
    const rendered = new Set(updates.map((update) => update.id));
    for (const id of ids) if (!rendered.has(id)) this.versions.set(id, rollout.record.current.version);
  }

  private produce(out: HoldOutput, updates: readonly NodeUpdate[]): void {
    for (const update of updates) out.produced.push({ update, provenance: this.provenanceOf(update.id) });
  }

  /** A rollout's change was caused by no row change: it names its hub row, without a position. */
  private provenanceOf(id: string): Provenance {
    const slash = id.indexOf('/');
    const form = this.options.config.forms.find((f) => f.name === id.slice(0, slash));
    const hub = this.options.config.hubs.find((h) => h.name === form?.hub);
    const [key] =
      hub === undefined ? [] : this.options.materializer.state.hubKeys(hub.name, id.slice(slash + 1));
    return {
      source: hub?.source ?? '',
      table: hub?.table ?? '',
      position: null,
      commitTsMs: null,
      primaryKey: key ?? '',
    };
  }

  /** The live nodes of the form this instance renders, with their versions and the sink's reports. */
  private nodesOf(form: FormConfig): RolloutNode[] {
    const { materializer, statusOf } = this.options;
    const nodes: RolloutNode[] = [];
    for (const uid of materializer.state.hubUids(form.hub)) {
      const id = `${form.name}/${uid}`;
      const hash = materializer.producedHash(id);
      if (hash === undefined || !materializer.isLive(id)) continue;
      const version = this.versions.get(id) ?? null;
      const status = statusOf(id);
      nodes.push({
        id,
        version,
        hash,
        ...(status === undefined
          ? {}
          : {
              status: {
                contentHash: status.contentHash,
                state: status.state,
                ...(status.error === null ? {} : { error: status.error.message }),
              },
            }),
      });
    }
    return nodes;
  }

  private audit(out: HoldOutput, form: FormConfig, action: AuditAction, reason: string): void {
    rolloutAudit(out, this.options.auditTopic, form, action, reason, {
      nowMs: this.now(),
      fieldManager: this.options.config.kubernetes.fieldManager,
    });
  }
}

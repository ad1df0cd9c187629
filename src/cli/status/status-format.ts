import type { DecodedAuditEvent, NodeStatus } from '../../contracts/index.js';
import { stageDurations } from '../../contracts/index.js';

// What `rowkube status` prints, as pure functions of the statuses (and a
// node's audit history) and the time now: the table of nodes as `kubectl get`
// prints one, and the page of one node. No I/O here, so the layout is unit-tested.

/** The columns of the node table. */
export const STATUS_COLUMNS = ['NODE', 'FORM', 'STATE', 'READY', 'AGE', 'ERROR'] as const;

/** The longest ERROR cell: the rest of a long message is in `rowkube status NODE` and -o json. */
const MAX_ERROR_WIDTH = 100;

/** Like kubectl's AGE: the largest unit, two for short spans (90s, 5m10s, 3h, 2d5h). */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0s';
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 8 && h % 24 !== 0 ? `${d}d${h % 24}h` : `${d}d`;
}

/** Objects ready / desired, as READY in `kubectl get deployments`. */
export function readyCell(status: NodeStatus): string {
  return `${status.objects.filter((o) => o.ready).length}/${status.objects.length}`;
}

/** The ERROR cell: the code, then the message on one line, cut to a width a terminal holds. */
export function errorCell(status: NodeStatus): string {
  if (status.error === null) return '';
  const text = `${status.error.code}: ${status.error.message.replace(/\s+/g, ' ')}`;
  return text.length > MAX_ERROR_WIDTH ? `${text.slice(0, MAX_ERROR_WIDTH - 1)}…` : text;
}

/** One table row's cells. */
export function statusRow(status: NodeStatus, nowMs: number): string[] {
  return [
    status.nodeId,
    status.form,
    status.state,
    readyCell(status),
    formatAge(nowMs - Number(status.stateSinceMs)),
    errorCell(status),
  ];
}

/** Columns padded to their widest cell, three spaces apart, as kubectl does; no trailing blanks. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/** The node table; `No nodes.` (as kubectl's "No resources found") when there are none. */
export function statusTable(statuses: readonly NodeStatus[], nowMs: number): string {
  if (statuses.length === 0) return 'No nodes.\n';
  return formatTable(
    STATUS_COLUMNS,
    statuses.map((s) => statusRow(s, nowMs)),
  );
}

/** A time by the sink's or the database's clock, ms since epoch, as ISO 8601 UTC. */
function isoTime(ms: bigint | number | null): string {
  return ms === null ? '-' : new Date(Number(ms)).toISOString();
}

/**
 * One node: its state, the row version it reflects, its objects, then its
 * history from the audit topic, grouped by row version (the database
 * transaction: its position and commit time), each object action with its
 * latency from the commit and the stages it took.
 */
export function nodeDetail(status: NodeStatus, history: readonly DecodedAuditEvent[], nowMs: number): string {
  const out: string[] = [];
  const field = (name: string, value: string) => out.push(`${`${name}:`.padEnd(11)}${value}`);
  field('Node', status.nodeId);
  field('Hub', status.hub);
  field('Form', status.form);
  field(
    'State',
    `${status.state} for ${formatAge(nowMs - Number(status.stateSinceMs))} (since ${isoTime(status.stateSinceMs)})`,
  );
  field('Ready', `${readyCell(status)} objects`);
  field(
    'Row',
    `${status.source}.${status.table} at ${status.position ?? 'an unknown position'}, committed ${isoTime(status.commitTsMs)}`,
  );
  field('Content', status.contentHash === '' ? '-' : status.contentHash);
  field('Error', status.error === null ? '-' : `${status.error.code}: ${status.error.message}`);
  field('Updated', isoTime(status.updatedAtMs));
  out.push('', 'Objects:');
  if (status.objects.length === 0) out.push('  (none)');
  else
    out.push(
      ...indent(
        formatTable(
          ['RESOURCE', 'KIND', 'NAMESPACE', 'NAME', 'LAST ACTION', 'READY'],
          status.objects.map((o) => [
            o.resourceId,
            `${o.kind}.${o.apiVersion}`,
            o.namespace ?? '-',
            o.name,
            o.lastAction,
            o.ready ? 'yes' : 'no',
          ]),
        ),
      ),
    );
  out.push('', 'History:');
  if (history.length === 0) out.push('  (no audit events retained)');
  for (const group of byTransaction(history)) {
    const first = group[0] as DecodedAuditEvent;
    const { source, table, position, commitTsMs } = first.provenance;
    out.push(
      `  ${source === '' ? 'no source change (drift, clean-up or removal)' : `${source}.${table} transaction at ${position ?? 'an unknown position'}, committed ${isoTime(commitTsMs)}`}`,
    );
    out.push(
      ...indent(
        formatTable(
          ['APPLIED', 'ACTION', 'OBJECT', 'LATENCY', 'CAPTURE+PROCESS+APPLY', 'REASON'],
          group.map((event) => [
            isoTime(event.appliedAtMs),
            event.action,
            event.object === null ? '(node)' : objectName(event.object),
            event.latencyMs === null ? '-' : `${event.latencyMs}ms`,
            stagesCell(event),
            event.errorCode === null ? event.reason : `${event.errorCode}: ${event.reason}`,
          ]),
        ),
        4,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

function objectName(object: NonNullable<DecodedAuditEvent['object']>): string {
  return `${object.kind}/${object.namespace === null ? '' : `${object.namespace}/`}${object.name}`;
}

/** capture+process+apply, in ms, where known. */
function stagesCell(event: DecodedAuditEvent): string {
  const { captureMs, processMs, applyMs } = stageDurations(event);
  if (captureMs === null && processMs === null && applyMs === null) return '-';
  const ms = (v: number | null) => (v === null ? '?' : String(v));
  return `${ms(captureMs)}+${ms(processMs)}+${ms(applyMs)}`;
}

/** Consecutive events of one source change (the same position and commit time) together. */
function byTransaction(history: readonly DecodedAuditEvent[]): DecodedAuditEvent[][] {
  const groups: DecodedAuditEvent[][] = [];
  let key: string | undefined;
  for (const event of history) {
    const { source, table, position, commitTsMs } = event.provenance;
    const next = `${source}\n${table}\n${position}\n${commitTsMs}`;
    if (next !== key || groups.length === 0) groups.push([]);
    key = next;
    (groups[groups.length - 1] as DecodedAuditEvent[]).push(event);
  }
  return groups;
}

function indent(text: string, spaces = 2): string[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`);
}

/** States `--failed` keeps: the nodes that need someone to look. */
export const FAILED_STATES: ReadonlySet<string> = new Set(['Failed', 'Conflict', 'Skipped']);

/** Whether a status passes `--form F` and `--failed`. */
export function statusMatches(status: NodeStatus, filter: { form?: string; failed: boolean }): boolean {
  if (filter.form !== undefined && status.form !== filter.form) return false;
  return !filter.failed || FAILED_STATES.has(status.state);
}

import { describeRef } from '../sink/kube/index.js';
import type { FormSummary, PlanSummary } from './plan-summary.js';
import type { FieldChange, NodePlan, PlanResult } from './plan-types.js';

// The plan as an operator reads it (text) and as a machine reads it (JSON).
// Pure: a PlanResult and its summary in, text out.

/** How many entries of each list the text shows; JSON has them all. */
export const TEXT_LIST_LIMIT = 20;
/** A value longer than this is cut in the text. */
const VALUE_CHARS = 160;

export function planText(result: PlanResult, summary: PlanSummary): string {
  const lines = [
    `Plan of ${result.configFile} (topic prefix ${result.prefix}): ` +
      `${count(result.read.desiredNodes, 'node record')} in ${result.prefix}.desired, ` +
      `${count(result.read.changeRecords, 'change record')} read`,
  ];
  if (summary.forms.length === 0)
    lines.push('', 'No nodes: the configuration renders none and the desired topic holds none.');
  for (const form of summary.forms) lines.push('', ...formLines(form));
  const t = summary.totals;
  lines.push('', `Plan: ${counts(t)}.`);
  return `${lines.join('\n')}\n`;
}

function formLines(form: FormSummary): string[] {
  const lines = [`form ${form.form}: ${counts(form.nodes)}`];
  const objects = Object.entries(form.objects)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([action, number]) => `${num(number)} ${action}`);
  if (objects.length > 0) lines.push(`  objects: ${objects.join(', ')}`);
  if (form.fields.length > 0) {
    lines.push('  fields that change:');
    for (const group of form.fields)
      lines.push(
        `    ${group.kind} ${group.path}: ${count(group.nodes, 'node')}${group.recreated ? ' (some objects recreated)' : ''}`,
      );
  }
  lines.push(
    ...listLines(`immutable fields (${count(form.immutable.length, 'object')})`, form.immutable, (entry) => {
      const fields = entry.fields.length > 0 ? entry.fields.join(', ') : 'a field';
      const outcome =
        entry.outcome === 'recreate'
          ? 'would be deleted and created again (recreatePolicy OnImmutableChange)'
          : 'the apply would fail (recreatePolicy Never; OnImmutableChange would recreate it)';
      return `${entry.node} ${entry.resourceId} ${entry.object}: ${fields} is immutable; ${outcome}`;
    }),
    ...listLines(
      `validation failures (${count(form.failures.length, 'object')})`,
      form.failures,
      (entry) => `${entry.node} ${entry.resourceId} ${entry.object}: ${entry.action}: ${entry.message}`,
    ),
    ...listLines(
      `render errors (${count(form.renderErrors.length, 'node')})`,
      form.renderErrors,
      (entry) => `${entry.node}: ${entry.message}`,
    ),
    ...listLines(
      `nodes to delete (${count(form.deleted.length, 'node')})`,
      form.deleted,
      (entry) => `${entry.node}: ${entry.reason}`,
    ),
  );
  return lines;
}

function listLines<T>(title: string, entries: readonly T[], line: (entry: T) => string): string[] {
  if (entries.length === 0) return [];
  const shown = entries.slice(0, TEXT_LIST_LIMIT).map((entry) => `    ${line(entry)}`);
  const rest = entries.length - shown.length;
  return [
    `  ${title}:`,
    ...shown,
    ...(rest > 0 ? [`    … and ${rest} more (--output json lists every one)`] : []),
  ];
}

/** One node's full diff: each object, its action, and each field old → new. */
export function nodeText(node: NodePlan): string {
  const lines = [
    `node ${node.id} (form ${node.form}): ${node.action}${node.reason ? ` (${node.reason})` : ''}`,
  ];
  if (node.renderError !== undefined) lines.push(`  render error: ${node.renderError}`);
  for (const object of node.objects) {
    const immutable =
      object.immutableFields && object.immutableFields.length > 0
        ? `; immutable: ${object.immutableFields.join(', ')}`
        : '';
    lines.push(`  ${describeRef(object.ref)} (${object.resourceId}): ${object.action}${immutable}`);
    if (object.note !== undefined) lines.push(`    note: ${object.note}`);
    if (object.error !== undefined) lines.push(`    ${object.error}`);
    for (const change of object.changes) lines.push(`    ${changeText(change)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `path: old → new`, "(none)" for a side without the field. */
export function changeText(change: FieldChange): string {
  const side = (present: boolean, value: unknown) => (present ? valueText(value) : '(none)');
  return `${change.path}: ${side('old' in change, change.old)} → ${side('new' in change, change.new)}`;
}

function valueText(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS)}…` : text;
}

/** The JSON report: the summary per form, every node's plan, the exit code. */
export function planJson(result: PlanResult, summary: PlanSummary): string {
  return `${JSON.stringify(
    {
      configFile: result.configFile,
      prefix: result.prefix,
      read: result.read,
      exitCode: summary.exitCode,
      totals: summary.totals,
      forms: summary.forms,
      nodes: result.nodes,
    },
    null,
    2,
  )}\n`;
}

function counts(n: PlanSummary['totals']): string {
  return `${num(n.change)} to change, ${num(n.create)} to create, ${num(n.delete)} to delete, ${num(n.unchanged)} unchanged, ${num(n.error)} with errors`;
}

function count(value: number, noun: string): string {
  return `${num(value)} ${noun}${value === 1 ? '' : 's'}`;
}

/** 1,000 rather than 1000: plans are of thousands of nodes. */
function num(value: number): string {
  return value.toLocaleString('en-US');
}
